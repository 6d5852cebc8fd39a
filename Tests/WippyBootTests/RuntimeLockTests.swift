import Foundation
import Synchronization
import Testing
import WippyBoot
import WippyCore

/// One runtime per project (issue 7, item 7): the lock on `.wippy/runtime.lock`, with real `flock`s (two
/// opens of the file conflict even within one process).
@Suite struct RuntimeLockTests {
    @Test func aSecondRuntimeIsRefusedNamingTheFirst() throws {
        try TemporaryProject.with { project in
            let first = try #require(try RuntimeLock.acquire(projectRoot: project.root, mode: .serve, command: "wippy run"))
            #expect(RuntimeLock.holder(projectRoot: project.root)?.pid == getpid())
            #expect(RuntimeLock.holder(projectRoot: project.root)?.mode == .serve)
            for mode in [RuntimeLock.Mode.serve, .exec, .maintenance] {
                #expect {
                    _ = try RuntimeLock.acquire(projectRoot: project.root, mode: mode, command: "wippy run -x app:main")
                } throws: { error in
                    let error = error as? WippyError
                    return error?.kind == .alreadyExists && error?.message.contains("already running in this project") == true
                        && error?.message.contains("pid \(getpid())") == true && error?.message.contains("`wippy run`") == true
                }
            }
            first.release()
            #expect(RuntimeLock.holder(projectRoot: project.root) == nil)
            let next = try RuntimeLock.acquire(projectRoot: project.root, mode: .serve, command: "wippy run")
            #expect(next != nil)
            next?.release()
        }
    }

    @Test func anExecRunWaitsForAnotherExecRun() async throws {
        let project = try TemporaryProject()
        defer { project.remove() }
        let first = try #require(try RuntimeLock.acquire(projectRoot: project.root, mode: .exec, command: "wippy run -x app:a"))
        let waiting = Mutex<RuntimeLock.Holder?>(nil)
        let acquired = Mutex<Bool>(false)
        let failure = Mutex<String?>(nil)
        let root = project.root
        let clock = ContinuousClock()
        let started = clock.now
        let thread = Thread {
            defer { failure.withLock { $0 = ($0 ?? "") + " thread ended at \(clock.now - started)" } }
            do {
                let lock = try RuntimeLock.acquire(projectRoot: root, mode: .exec, command: "wippy run -x app:b") { holder in
                    waiting.withLock { $0 = holder }
                }
                acquired.withLock { $0 = lock != nil }
                lock?.release()
            } catch {
                failure.withLock { $0 = "\(error)" }
            }
        }
        thread.start()
        // Each wait has its own deadline: under load this task may not run for a while.
        var deadline = clock.now + .seconds(30)
        while waiting.withLock({ $0 }) == nil && clock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        #expect(waiting.withLock { $0?.command } == "wippy run -x app:a")
        #expect(!acquired.withLock { $0 })
        first.release()
        let released = clock.now - started
        deadline = clock.now + .seconds(30)
        while !acquired.withLock({ $0 }) && clock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        #expect(acquired.withLock { $0 }, "released at \(released), now \(clock.now - started): \(failure.withLock { $0 } ?? "still waiting")")
    }

    @Test func noLockWhereThereIsNoDirectory() throws {
        #expect(try RuntimeLock.acquire(projectRoot: "/nonexistent-\(UUID().uuidString)", mode: .serve, command: "x") == nil)
    }
}
