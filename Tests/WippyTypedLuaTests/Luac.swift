import Foundation

/// Runs Debian's `luac5.4 -p` (parse only) on translated output.
enum Luac {
    static let path = "/usr/bin/luac5.4"
    static let missingMessage = "\(path) not found: install Lua 5.4 with 'apt-get install lua5.4'"

    static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: path) }

    /// Parses `source` with `luac5.4 -p`; returns nil when it is accepted, else luac's error output.
    static func check(_ source: [UInt8], name: String) throws -> String? {
        let file = FileManager.default.temporaryDirectory
            .appendingPathComponent("typedlua-\(name)-\(UUID().uuidString).lua")
        try Data(source).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["-p", file.path]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let output = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        if process.terminationStatus == 0 { return nil }
        return String(decoding: output, as: UTF8.self)
    }
}
