import Testing
@testable import WippyBoot
import WippyCore

/// `wippy status` lists services in the order they start.
@Suite struct StatusReportTests {
    func service(_ id: String, needs: [String] = []) -> Payload {
        .map([("id", .string(id)), ("kind", "process.service"), ("dependencies", .array(needs.map { .string($0) }))])
    }

    @Test func servicesComeAfterWhatTheyDependOn() {
        let ordered = StatusReport.inStartOrder([
            service("app:api", needs: ["app:cache", "app:db"]), service("app:cache", needs: ["app:db"]),
            service("app:db", needs: ["app:host"]), service("app:host"), service("app:alone"),
        ])
        #expect(ordered.compactMap { $0["id"]?.stringValue } == ["app:alone", "app:host", "app:db", "app:cache", "app:api"])
    }

    @Test func aCycleStillListsEveryService() {
        let ordered = StatusReport.inStartOrder([service("app:a", needs: ["app:b"]), service("app:b", needs: ["app:a"])])
        #expect(Set(ordered.compactMap { $0["id"]?.stringValue }) == ["app:a", "app:b"])
    }
}
