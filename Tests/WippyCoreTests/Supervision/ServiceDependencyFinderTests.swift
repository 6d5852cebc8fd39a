import HashTreeCollections
import Testing
import WippyCore

/// Dependencies found from lifecycle references and from entry references, followed through non-services.
@Suite struct ServiceDependencyFinderTests {
    static func id(_ name: String) -> EntryID { EntryID(namespace: "app", name: name) }

    @Test func referencesLeadToServicesThroughOtherEntries() throws {
        let host = Entry(id: Self.id("host"), kind: "process.host")
        let process = Entry(id: Self.id("proc"), kind: "process.lua", data: .map([("host", .string("app:host"))]))
        let worker = Entry(id: Self.id("worker"), kind: "process.service", data: .map([("process", .string("app:proc"))]))
        let api = Entry(id: Self.id("api"), kind: "process.service")
        let entries = RegistryEntries(uniqueKeysWithValues: [host, process, worker, api].map { ($0.id, $0) })
        let services: [EntryID: [EntryID]] = [
            Self.id("host"): [], Self.id("worker"): [], Self.id("api"): [Self.id("worker"), Self.id("missing")],
        ]
        let graph = ServiceDependencyFinder().graph(services: services, entries: entries)
        #expect(graph.dependencies(of: Self.id("worker")) == [Self.id("host")])
        #expect(graph.dependencies(of: Self.id("api")) == [Self.id("worker")])
        #expect(graph.blockers[Self.id("api")] == [Self.id("missing")])
        #expect(graph.dependents(of: Self.id("host")) == [Self.id("worker")])
        #expect(graph.startLevels(of: Set(services.keys)) == [[Self.id("host")], [Self.id("worker")], [Self.id("api")]])
    }
}
