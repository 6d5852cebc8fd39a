import Foundation

/// Runs the built `wippy` executable against a fixture project.
struct WippyBinary {
    struct Run {
        var stdout: String
        var stderr: String
        var status: Int32
    }

    /// `.build/<config>/wippy`, found next to this test bundle.
    static var path: String {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [bundle.appendingPathComponent("wippy"), bundle.deletingLastPathComponent().appendingPathComponent("wippy")] {
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate.path }
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/wippy").path
    }

    /// A fresh copy of the fixture project `name` in a temporary directory (removed when the tests end), so
    /// that runs leave nothing in the repository (such as the registry history under `.wippy/`).
    static func fixture(_ name: String) -> String {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)").path
        let copy = fixtureCopies + "/\(name)-\(UUID().uuidString)"
        do {
            try FileManager.default.copyItem(atPath: source, toPath: copy)
        } catch {
            fatalError("cannot copy fixture \(name) to \(copy): \(error)")
        }
        return copy
    }

    /// The directory of this test process's fixture copies.
    static let fixtureCopies: String = {
        let path = NSTemporaryDirectory() + "wippy-fixtures-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: WippyBinary.fixtureCopies) }
        return path
    }()

    /// Runs `wippy arguments...` in `directory`, feeding `input` on stdin, killing it after `timeout`; with
    /// `addressSpaceKB`, under that address-space limit (`ulimit -v`), where the system refuses memory;
    /// `environment` adds to (or replaces) the variables it inherits.
    static func run(
        _ arguments: [String], in directory: String, input: String? = nil, timeout: Double = 60,
        addressSpaceKB: Int? = nil, environment: [String: String] = [:]
    ) async throws -> Run {
        let process = Process()
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, added in added }
        }
        if let addressSpaceKB {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "ulimit -v \(addressSpaceKB) && exec \"$0\" \"$@\"", path] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = arguments
        }
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let out = Pipe(), err = Pipe(), inPipe = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = inPipe
        try process.run()
        if let input { inPipe.fileHandleForWriting.write(input.data(using: .utf8)!) }
        try inPipe.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(timeout)
        let stdout = DataBox(), stderr = DataBox()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            stdout.set(out.fileHandleForReading.readDataToEndOfFile())
            group.leave()
        }
        group.enter()
        DispatchQueue.global().async {
            stderr.set(err.fileHandleForReading.readDataToEndOfFile())
            group.leave()
        }
        // Poll with Task.sleep: blocking here would hold a thread of the shared concurrency pool that other
        // test suites need.
        while process.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
        if process.isRunning {
            process.terminate()
            try await Task.sleep(for: .milliseconds(200))
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        while process.isRunning { try await Task.sleep(for: .milliseconds(10)) }
        await withCheckedContinuation { continuation in group.notify(queue: .global()) { continuation.resume() } }
        return Run(
            stdout: String(decoding: stdout.get(), as: UTF8.self), stderr: String(decoding: stderr.get(), as: UTF8.self),
            status: process.terminationStatus)
    }

    /// Starts `wippy arguments...` in the background (for signal tests).
    static func start(_ arguments: [String], in directory: String) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return (process, out, err)
    }
}

/// Data written by one thread and read by another after a `DispatchGroup.wait()`.
final class DataBox: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func set(_ value: Data) { lock.withLock { data = value } }
    func get() -> Data { lock.withLock { data } }
}
