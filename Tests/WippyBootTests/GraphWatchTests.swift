import HashTreeCollections
import Testing
@testable import WippyBoot
import WippyCore

/// Which registry changes make the service graph worth recomputing.
@Suite struct GraphWatchTests {
    func entry(_ id: String, _ kind: String, data: [(String, Payload)] = []) -> Entry {
        Entry(id: EntryID(parsing: id), kind: kind, meta: PayloadTable(), data: .map(data))
    }

    @Test func servicesWhatTheyReachAndWhatTheyNameAreWatched() {
        let entries = [
            entry("app:svc", "process.service", data: [("process", "worker"), ("host", "app:host")]),
            entry("app:worker", "process.lua"),
            entry("app:host", "process.host"),
            entry("app:queue", "registry.entry", data: [("driver", "app:driver")]),
            entry("app:other", "registry.entry"),
        ].reduce(into: RegistryEntries()) { $0[$1.id] = $1 }
        let watch = GraphWatch(
            services: [EntryID(parsing: "app:svc"), EntryID(parsing: "app:host")],
            requires: [EntryID(parsing: "app:svc"): [EntryID(parsing: "app:queue")]], entries: entries,
            resolver: DependencyResolver())
        #expect(watch.covers(EntryID(parsing: "app:svc")))
        #expect(watch.covers(EntryID(parsing: "app:worker")))  // named by the service (relative name)
        #expect(watch.covers(EntryID(parsing: "app:host")))
        #expect(watch.covers(EntryID(parsing: "app:queue")))  // required
        #expect(watch.covers(EntryID(parsing: "app:driver")))  // named by what is required, though missing
        #expect(!watch.covers(EntryID(parsing: "app:other")))
        #expect(!GraphWatch().covers(EntryID(parsing: "app:svc")))
    }

    @Test func groupReferencesMakeEveryChangeCount() {
        let service = entry("app:svc", "process.service", data: [("lifecycle", .map([("depends_on", .array(["group:db"]))]))])
        let watch = GraphWatch(
            services: [service.id], requires: [:], entries: [service.id: service], resolver: DependencyResolver())
        #expect(watch.covers(EntryID(parsing: "app:anything")))
    }
}
