import Foundation
import Synchronization
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// End-to-end HTTP applications (issue 10, item 6) run by `wippy run` over real loopback connections: a JSON
/// CRUD service over SQLite (`notesapi` fixture), a handler that answers 202 with the PID of a process it
/// started while that process reports progress, and an endpoint edited on disk while a load runs.
@Suite struct HTTPAppTests {
    typealias Reply = HTTPServerTests.Reply

    static func request(_ port: Int, _ method: String, _ path: String, body: String? = nil) async throws -> Reply {
        try await HTTPServerTests.request(port, method, path, body: body, headers: body == nil ? [:] : ["Content-Type": "application/json"])
    }

    static func object(_ reply: Reply) -> [String: Any] { HTTPServerTests.json(reply.body) }

    @Test func aCRUDServiceOverSQLite() async throws {
        let (run, port, root) = try await HTTPServerTests.start("notesapi")
        defer { run.signal(SIGTERM) }
        let log = { "stdout: \(run.stdout)\nstderr: \(run.stderr)" }

        // Create: 201 with Location and the stored row (defaults filled in by SQLite).
        let created = try await Self.request(port, "POST", "/api/notes", body: #"{"title": "first", "body": "hello"}"#)
        #expect(created.status == 201, "\(created.body)\n\(log())")
        #expect(created.header("Content-Type") == "application/json")
        let first = Self.object(created)
        let id = first["id"] as? Int ?? 0
        #expect(id > 0)
        #expect(first["priority"] as? Int == 3)
        #expect((first["created_at"] as? String)?.hasSuffix("Z") == true, "\(first)")
        #expect(created.header("Location") == "/api/notes/\(id)")
        let second = Self.object(try await Self.request(port, "POST", "/api/notes", body: #"{"title": "second note", "priority": 5}"#))
        #expect(second["body"] == nil, "a NULL column is an absent key")

        // Read one, read all, search.
        let shown = try await Self.request(port, "GET", "/api/notes/\(id)")
        #expect(shown.status == 200)
        #expect(Self.object(shown)["title"] as? String == "first")
        let all = Self.object(try await Self.request(port, "GET", "/api/notes"))
        #expect(all["count"] as? Int == 2)
        #expect(((all["notes"] as? [[String: Any]]) ?? []).compactMap { $0["title"] as? String } == ["first", "second note"])
        let found = Self.object(try await Self.request(port, "GET", "/api/notes?q=sec&limit=10"))
        #expect(found["count"] as? Int == 1)

        // Update part of a row; delete it; it is gone.
        let updated = try await Self.request(port, "PUT", "/api/notes/\(id)", body: #"{"priority": 1}"#)
        #expect(updated.status == 200)
        #expect(Self.object(updated)["priority"] as? Int == 1)
        #expect(Self.object(updated)["title"] as? String == "first")
        #expect(try await Self.request(port, "DELETE", "/api/notes/\(id)").status == 204)
        #expect(try await Self.request(port, "GET", "/api/notes/\(id)").status == 404)
        #expect(try await Self.request(port, "DELETE", "/api/notes/\(id)").status == 404)

        // Bad input: each gets its 4xx and a JSON reason; nothing is written.
        let badID = try await Self.request(port, "GET", "/api/notes/abc")
        #expect(badID.status == 400)
        #expect((Self.object(badID)["error"] as? String)?.contains("positive integer") == true)
        let badJSON = try await Self.request(port, "POST", "/api/notes", body: #"{"title": "#)
        #expect(badJSON.status == 400)
        #expect((Self.object(badJSON)["error"] as? String)?.hasPrefix("invalid JSON") == true)
        let invalid = try await Self.request(port, "POST", "/api/notes", body: #"{"body": 7, "priority": 9}"#)
        #expect(invalid.status == 422)
        let fields = Self.object(invalid)["fields"] as? [String: String] ?? [:]
        #expect(fields.keys.sorted() == ["body", "priority", "title"], "\(invalid.body)")
        let notObject = try await Self.request(port, "PUT", "/api/notes/\(second["id"] as? Int ?? 0)", body: "[1, 2]")
        #expect(notObject.status == 422)
        #expect(try await Self.request(port, "GET", "/api/notes?limit=0").status == 400)
        let after = Self.object(try await Self.request(port, "GET", "/api/notes"))
        #expect(after["count"] as? Int == 1)
        #expect(((after["notes"] as? [[String: Any]])?.first?["priority"]) as? Int == 5)

        // The rows are in the SQLite file under the project.
        #expect(FileManager.default.fileExists(atPath: root + "/data/notes.db"))
        #expect(!run.stdout.contains("failed"), "\(log())")
    }

    @Test func aHandlerAnswers202WhileTheProcessItStartedReportsProgress() async throws {
        let (run, port, _) = try await HTTPServerTests.start("notesapi")
        defer { run.signal(SIGTERM) }

        // The worker holds before its last step until the client releases it, so the answer and the polls
        // below see the work in progress however loaded the machine is (timed steps alone were not enough).
        let accepted = try await Self.request(port, "POST", "/api/jobs?steps=5&hold=1")
        #expect(accepted.status == 202, "\(accepted.body)\nstdout: \(run.stdout)\nstderr: \(run.stderr)")
        let reply = Self.object(accepted)
        let job = reply["job"] as? String ?? ""
        let pid = reply["pid"] as? String ?? ""
        #expect(pid.hasPrefix("{") && pid.contains("|"), "a PID: \(pid)")
        #expect(accepted.header("Location") == "/api/jobs/\(job)")

        // Progress only grows, stops at the hold, and reaches the end once released.
        var seen: [Int] = []
        var released = false
        let deadline = ContinuousClock.now + .seconds(90)
        while ContinuousClock.now < deadline {
            let status = Self.object(try await Self.request(port, "GET", "/api/jobs/\(job)"))
            let done = status["done"] as? Int ?? -1
            if seen.last != done { seen.append(done) }
            if status["state"] as? String == "done" { break }
            if status["state"] as? String == "held", !released {
                let release = try await Self.request(port, "POST", "/api/jobs/\(job)/release")
                #expect(release.status == 200, "\(release.body)")
                released = true
            }
            try await Task.sleep(for: .milliseconds(10))  // polling interval of the client, not a wait for an effect
        }
        #expect(released, "the worker held before its last step: \(seen)\n\(run.stdout)\n\(run.stderr)")
        #expect(seen.first.map { $0 < 5 } == true, "the 202 came before the work ended: \(seen)")
        #expect(seen.contains(4), "the hold was seen: \(seen)")
        #expect(seen.last == 5, "\(seen)")
        #expect(seen == seen.sorted(), "\(seen)")
        #expect(try await Self.request(port, "POST", "/api/jobs/\(job)/release").status == 409)
        #expect(try await Self.request(port, "GET", "/api/jobs/nope").status == 404)
        #expect(try await Self.request(port, "POST", "/api/jobs?steps=0").status == 400)
    }

    @Test func anEndpointEditedUnderLoadFailsNoRequest() async throws {
        let (run, port, root) = try await HTTPServerTests.start()
        defer { run.signal(SIGTERM) }
        #expect(await run.waitFor("runtime ready"))

        // Eight clients send requests back to back on keep-alive connections while the file is saved.
        let saved = Flag()
        let results = try await withThrowingTaskGroup(of: LoadResult.self) { group in
            for _ in 0..<8 {
                group.addTask { try await Self.load(port, until: saved) }
            }
            group.addTask {
                // Save once the load is under way (80 requests answered).
                while saved.served < 80 {
                    try await Task.sleep(for: .milliseconds(5))
                }
                do {
                    let edited = try String(contentsOfFile: root + "/src/hello.lua", encoding: .utf8)
                        .replacingOccurrences(of: "hello world", with: "hello again")
                    try edited.write(toFile: root + "/src/hello.lua", atomically: true, encoding: .utf8)
                    saved.set()
                }
                return LoadResult()
            }
            var all: [LoadResult] = []
            for try await result in group { all.append(result) }
            return all
        }
        let failures = results.flatMap(\.failures)
        #expect(failures.isEmpty, "\(failures.prefix(5))\n\(run.stdout)")
        let total = results.reduce(0) { $0 + $1.old + $1.new }
        #expect(total > 100, "the load ran: \(total) requests")
        // Every client saw the new body after the save, and never the old one after the new one.
        for result in results where result.old + result.new > 0 {
            #expect(result.new >= 20, "\(result)")
            #expect(!result.oldAfterNew, "\(result)")
        }
        #expect(run.stdout.contains("reloaded src/hello.lua"))
    }

    struct LoadResult: Sendable, CustomStringConvertible {
        var old = 0
        var new = 0
        var oldAfterNew = false
        var failures: [String] = []
        var description: String { "old \(old), new \(new), old after new: \(oldAfterNew), failures \(failures.count)" }
    }

    /// Requests `/api/hello` back to back until the file was saved and 20 new bodies came back.
    static func load(_ port: Int, until saved: Flag) async throws -> LoadResult {
        var result = LoadResult()
        let deadline = ContinuousClock.now + .seconds(60)
        while result.new < 20 && ContinuousClock.now < deadline {
            do {
                let reply = try await HTTPServerTests.request(port, "GET", "/api/hello")
                saved.count()
                let message = HTTPServerTests.json(reply.body)["message"] as? String
                if reply.status != 200 {
                    result.failures.append("status \(reply.status): \(reply.body)")
                } else if message == "hello world" {
                    result.old += 1
                    if result.new > 0 { result.oldAfterNew = true }
                } else if message == "hello again" {
                    result.new += 1
                } else {
                    result.failures.append("body \(reply.body)")
                }
            } catch {
                result.failures.append("\(error)")
            }
        }
        if result.new < 20 { result.failures.append("the new body was not served within 60 s (\(result))") }
        return result
    }

    /// Whether the file was saved, and how many requests were answered.
    final class Flag: Sendable {
        private let value = Mutex((saved: false, served: 0))
        var isSet: Bool { value.withLock { $0.saved } }
        var served: Int { value.withLock { $0.served } }
        func set() { value.withLock { $0.saved = true } }
        func count() { value.withLock { $0.served += 1 } }
    }
}
