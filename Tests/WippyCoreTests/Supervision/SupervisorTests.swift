import Synchronization
import Testing
import WippyCore

/// The supervisor carrying out the state machines and the planner, on a manual clock.
@Suite struct SupervisorTests {
    let timer = ManualSupervisorTimer()
    let log = CallLog()
    let changes = ChangeLog()
    let supervisor: Supervisor

    init() {
        let changes = self.changes
        supervisor = Supervisor(timer: timer, random: { 0 }, observer: { change in changes.add(change) })
    }

    static func id(_ name: String) -> EntryID { EntryID(namespace: "app", name: name) }

    /// Registers fake services with the given dependencies (by name).
    @discardableResult
    func services(
        _ dependencies: [String: [String]], lifecycle: LifecycleConfig = LifecycleConfig(), startsAtOnce: Bool = true,
        stopsAtOnce: Bool = true
    ) -> [String: FakeService] {
        var made: [String: FakeService] = [:]
        for name in dependencies.keys.sorted() {
            let service = FakeService(name, log: log, startsAtOnce: startsAtOnce, stopsAtOnce: stopsAtOnce)
            made[name] = service
            supervisor.register(Self.id(name), service: service, lifecycle: lifecycle)
        }
        let edges = Dictionary(uniqueKeysWithValues: dependencies.map { (Self.id($0.key), $0.value.map(Self.id)) })
        supervisor.setGraph(ServiceGraph(dependencies: edges))
        return made
    }

    func status(_ name: String) -> ServiceStatus? { supervisor.status(of: Self.id(name)) }
    func details(_ name: String) -> String { supervisor.state(of: Self.id(name))?.details ?? "" }

    static let diamond = ["db": [], "cache": ["db"], "api": ["db"], "web": ["cache", "api"], "other": []]

    @Test func startsInDependencyOrderIndependentOnesTogether() {
        let made = services(Self.diamond, startsAtOnce: false)
        supervisor.start([Self.id("web"), Self.id("other")])
        #expect(log.all == ["start db", "start other"])
        made["db"]!.reportStarted()
        // cache and api do not need each other: both start before either reports.
        #expect(log.all == ["start db", "start other", "start api", "start cache"])
        made["cache"]!.reportStarted()
        #expect(log.all.count == 4)
        made["api"]!.reportStarted()
        #expect(log.all.last == "start web")
        made["web"]!.reportStarted()
        #expect(supervisor.states().map(\.status).allSatisfy { $0 == .running || $0 == .starting })
        #expect(status("web") == .running && status("other") == .starting)
        #expect(supervisor.state(of: Self.id("web"))?.dependencies == [Self.id("api"), Self.id("cache")])
    }

    @Test func failedStartBlocksDependentsOnly() {
        var lifecycle = LifecycleConfig()
        lifecycle.restart.maxAttempts = 1
        let made = services(Self.diamond, lifecycle: lifecycle, startsAtOnce: false)
        supervisor.start([Self.id("web"), Self.id("other")])
        made["other"]!.reportStarted()
        made["db"]!.crash("no disk")
        #expect(status("db") == .failed)
        for name in ["cache", "api", "web"] {
            #expect(status(name) == .failed)
            #expect(made[name]!.runCount == 0)
        }
        #expect(details("cache") == "blocked: dependency app:db is failed")
        #expect(details("web").hasPrefix("blocked: dependency app:"))
        #expect(status("other") == .running)
    }

    @Test func dependentsWaitWhileDependencyRetries() {
        let made = services(["db": [], "api": ["db"]], startsAtOnce: false)
        supervisor.start(Self.id("api"))
        made["db"]!.crash()
        #expect(status("api") == .unknown)
        timer.advance(by: .seconds(1))
        #expect(made["db"]!.runCount == 2)
        made["db"]!.reportStarted()
        #expect(log.all.last == "start api")
    }

    @Test func restartsBackOffExponentiallyUntilAttemptsRunOut() {
        var lifecycle = LifecycleConfig()
        lifecycle.restart = RestartPolicy(initialDelay: .milliseconds(100), maxDelay: .milliseconds(500), backoffFactor: 2,
                                          maxAttempts: 6)
        let made = services(["worker": []], lifecycle: lifecycle)
        supervisor.start(Self.id("worker"))
        var waits: [Duration] = []
        for _ in 1...6 {
            made["worker"]!.crash()
            guard status("worker") == .failed, supervisor.state(of: Self.id("worker"))?.retryCount ?? 0 < 6 else { break }
            let runs = made["worker"]!.runCount
            var waited = Duration.zero
            while made["worker"]!.runCount == runs, waited < .seconds(5) {
                timer.advance(by: .milliseconds(50))
                waited += .milliseconds(50)
            }
            waits.append(waited)
        }
        #expect(waits == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(500), .milliseconds(500)])
        #expect(made["worker"]!.runCount == 6)
        timer.advance(by: .seconds(60))
        #expect(made["worker"]!.runCount == 6)
        #expect(status("worker") == .failed && details("worker").contains("gave up"))
    }

    @Test func startTimeoutTerminatesAndRetries() {
        var lifecycle = LifecycleConfig()
        lifecycle.startTimeout = .seconds(3)
        let made = services(["slow": []], lifecycle: lifecycle, startsAtOnce: false)
        supervisor.start(Self.id("slow"))
        timer.advance(by: .milliseconds(2999))
        #expect(status("slow") == .starting)
        timer.advance(by: .milliseconds(1))
        #expect(status("slow") == .failed && details("slow") == "start timeout")
        #expect(log.all == ["start slow", "terminate slow"])
        timer.advance(by: .seconds(1))
        #expect(made["slow"]!.runCount == 2 && status("slow") == .starting)
    }

    @Test func stopTimeoutTerminates() {
        var lifecycle = LifecycleConfig()
        lifecycle.stopTimeout = .seconds(2)
        services(["stubborn": []], lifecycle: lifecycle, stopsAtOnce: false)
        supervisor.start(Self.id("stubborn"))
        supervisor.stop(Self.id("stubborn"))
        #expect(status("stubborn") == .stopping)
        timer.advance(by: .seconds(2))
        #expect(log.all == ["start stubborn", "stop stubborn", "terminate stubborn"])
        #expect(status("stubborn") == .stopped && details("stubborn") == "stop timeout after 2s")
        #expect(changes.all.map(\.state.status) == [.starting, .running, .stopping, .failed, .stopped])
    }

    @Test func shutdownStopsDependentsFirstLevelByLevel() {
        let made = services(Self.diamond, stopsAtOnce: false)
        supervisor.start([Self.id("web"), Self.id("other")])
        log.clear()
        supervisor.stopAll()
        #expect(log.all == ["stop other", "stop web"])
        made["web"]!.exit()
        #expect(log.all == ["stop other", "stop web", "stop api", "stop cache"])
        made["api"]!.exit()
        #expect(log.all.count == 4)
        made["cache"]!.exit()
        #expect(log.all.last == "stop db")
        made["db"]!.exit()
        made["other"]!.exit()
        #expect(supervisor.states().allSatisfy { $0.status == .stopped && $0.desired == .stopped })
    }

    @Test func removalStopsDependentsFirst() {
        let made = services(["db": [], "api": ["db"], "other": []], stopsAtOnce: false)
        supervisor.start([Self.id("api"), Self.id("other")])
        log.clear()
        supervisor.remove(Self.id("db"))
        #expect(log.all == ["stop api"])
        made["api"]!.exit()
        #expect(log.all == ["stop api", "stop db"])
        #expect(supervisor.serviceIDs.contains(Self.id("db")))
        made["db"]!.exit()
        #expect(supervisor.serviceIDs == [Self.id("api"), Self.id("other")])
        #expect(status("api") == .stopped && status("other") == .running)
    }

    @Test func replaceStopsOldRunBeforeStartingNewService() {
        let old = services(["svc": []], stopsAtOnce: false)["svc"]!
        supervisor.start(Self.id("svc"))
        let replacement = FakeService("svc2", log: log)
        var lifecycle = LifecycleConfig()
        lifecycle.stopTimeout = .seconds(7)
        supervisor.replace(Self.id("svc"), service: replacement, lifecycle: lifecycle)
        #expect(log.all == ["start svc", "stop svc"])
        old.exit()
        #expect(log.all == ["start svc", "stop svc", "start svc2"])
        #expect(status("svc") == .running && supervisor.lifecycle(of: Self.id("svc"))?.stopTimeout == .seconds(7))
        #expect(supervisor.service(Self.id("svc")) === replacement)
    }

    @Test func dependencyCycleIsReportedNotHung() {
        let made = services(["a": ["b"], "b": ["a"], "c": []])
        supervisor.start([Self.id("a"), Self.id("c")])
        #expect(status("a") == .failed && status("b") == .failed)
        #expect(details("a") == "blocked: dependency cycle app:a -> app:b -> app:a")
        #expect(made["a"]!.runCount == 0 && status("c") == .running)
    }

    @Test func everyChangeIsPublishedWithItsState() {
        let made = services(["svc": []])
        supervisor.start(Self.id("svc"))
        made["svc"]!.crash("bad")
        let published = changes.all
        #expect(published.map(\.state.status) == [.starting, .running, .failed])
        #expect(published.last?.state.details == "bad" && published.last?.state.retryCount == 1)
        #expect(published.last?.state.desired == .running && published.last!.state.lastUpdate > 0)
        #expect(published[1].state.startedAt != nil && published[2].state.startedAt == nil)
    }
}

final class ChangeLog: Sendable {
    private let entries = Mutex<[ServiceStateChange]>([])
    func add(_ change: ServiceStateChange) { entries.withLock { $0.append(change) } }
    var all: [ServiceStateChange] { entries.withLock { $0 } }
}
