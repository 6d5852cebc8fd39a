import Foundation
import Testing

/// End-to-end apps of the live system: the registry changed at runtime (and kept across runs), the
/// event bus with wildcard filters, jobs found in and started from registry data, and a chat room
/// combining processes, events and the registry.
@Suite struct LiveSystemAppTests {
    @Test func notesAddedAndDeletedAtRuntimeSurviveRestartsWithVersions() async throws {
        let root = WippyBinary.fixture("notes")  // one copy for all the runs below
        func notes(_ arguments: String...) async throws -> WippyBinary.Run {
            try await WippyBinary.run(["run", "-x", "app:notes"] + arguments, in: root)
        }
        // Each command is a separate run of the binary: what it sees was recorded by the runs before.
        #expect(try await notes("add", "milk", "buy", "milk").stdout == "added notes:milk at v1\n")
        #expect(try await notes("add", "call", "call", "mom").stdout == "added notes:call at v2\n")
        let list = try await notes("list")
        #expect(list.stdout == """
            v2: 3 notes
              app:welcome = read the README
              notes:call = call mom
              notes:milk = buy milk

            """)
        #expect(try await notes("delete", "milk").stdout == "deleted notes:milk at v3\n")
        let missing = try await notes("delete", "milk")
        #expect(missing.stdout == "error: entry notes:milk does not exist (NotFound)\n")
        #expect(missing.status == 1)
        let duplicate = try await notes("add", "call", "again")
        #expect(duplicate.stdout == "error: entry notes:call already exists (AlreadyExists)\n")
        #expect(try await notes("versions").stdout == """
            v1: 2 notes
            v2: 3 notes
            v3 (current): 2 notes

            """)
        // Back to v2 (milk returns), then a new change continues from there.
        #expect(try await notes("rollback", "2").stdout.hasPrefix("v2: 3 notes\n"))
        #expect(try await notes("add", "tea", "drink", "tea").stdout == "added notes:tea at v4\n")
        #expect(try await notes("list").stdout == """
            v4: 4 notes
              app:welcome = read the README
              notes:call = call mom
              notes:milk = buy milk
              notes:tea = drink tea

            """)
        // The registry command reads the same recorded state.
        let shown = try await WippyBinary.run(["registry", "list", "--ns", "notes"], in: root)
        #expect(shown.stdout.contains("notes:tea"))
        #expect(shown.stdout.contains("Total: 3 entries"))
    }

    @Test func publishersAndSubscribersWithWildcardFilters() async throws {
        let run = try await WippyBinary.run(["run", "-x", "app:main"], in: WippyBinary.fixture("pubsub"))
        #expect(run.stdout == """
            shop.* (any): shop.orders.eu/order.created=4 shop.orders/order.created=5 shop.orders/order.delivered=5 shop.orders/order.shipped=5 shop.users/user.created=3 shop.users/user.deleted=3
            shop.orders order.(shipped|delivered): shop.orders/order.delivered=5 shop.orders/order.shipped=5
            ** *.created: shop.orders.eu/order.created=4 shop.orders/order.created=5 shop.users/user.created=3
            audit : audit/login=2 audit/logout=2
            shop.** user.*: shop.users/user.created=3 shop.users/user.deleted=3

            """)
        #expect(run.stderr == "")
        #expect(run.status == 0)
    }

    @Test func periodicJobsFoundInTheRegistryAndStartedFromItsEvents() async throws {
        let run = try await WippyBinary.run(["run", "-x", "app:scheduler"], in: WippyBinary.fixture("jobs"))
        #expect(run.stdout == """
            found 2 jobs: app:jobs.heartbeat, app:jobs.report
            added 2 jobs at v1
            app:jobs.cleanup finished after 4 runs
            app:jobs.forever stopped after 3 or more runs
            app:jobs.heartbeat finished after 3 runs
            app:jobs.report finished after 2 runs
            cancelled app:jobs.forever after its entry was deleted
            started app:jobs.cleanup from its registry event
            started app:jobs.forever from its registry event

            """)
        #expect(run.stderr == "")
        #expect(run.status == 0)
    }

    @Test func chatRoomOfProcessesEventsAndRegistry() async throws {
        let run = try await WippyBinary.run(["run", "-x", "app:main"], in: WippyBinary.fixture("chat"))
        #expect(run.stdout == """
            alice joined Lobby
            bob joined Lobby
            carol refused: Lobby is full (2 members)
            lobby resized at v1
            carol joined Big Lobby
            alice was told (rejected) buy cheap spam
            alice left after hearing 4 lines
            bob left after hearing 4 lines
            carol left after hearing 4 lines
            transcript:
              member.joined alice
              member.joined bob
              member.joined carol
              message.posted alice: hello
              message.posted bob: hi alice
              message.rejected alice: buy cheap spam
              message.posted carol: late again
              message.posted alice: bye
              room.closed

            """)
        #expect(run.stderr == "")
        #expect(run.status == 0)
    }

    /// The bundled example (`make example`) ends with a registry change and its undo; run twice, the second
    /// run starts from the recorded history and continues its version numbers.
    @Test func showcaseChangesTheRegistryAndRestoresIt() async throws {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples/showcase").path
        let copy = WippyBinary.fixtureCopies + "/showcase-\(UUID().uuidString)"
        try FileManager.default.copyItem(atPath: source, toPath: copy)
        // Runtime state from a `make example` run in the source tree is not part of the example.
        try? FileManager.default.removeItem(atPath: copy + "/.wippy")
        let first = try await WippyBinary.run(["run", "-x", "app:demo"], in: copy)
        #expect(first.stdout.contains("""
            6. entry.update app:greet made v1; app:greet now returns: Welcome back, Ada!
               restored in v2; app:greet returns: Hello, Ada!
            done
            """))
        #expect(first.stdout.contains("2. function app:greet returned: Hello, Ada!\n"))
        #expect(first.status == 0)
        let second = try await WippyBinary.run(["run", "-x", "app:demo"], in: copy)
        #expect(second.stdout.contains("2. function app:greet returned: Hello, Ada!\n"))
        #expect(second.stdout.contains("made v3; app:greet now returns: Welcome back, Ada!"))
        #expect(second.status == 0)
    }
}
