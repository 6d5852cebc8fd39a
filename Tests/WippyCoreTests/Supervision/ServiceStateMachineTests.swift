import Testing
import WippyCore

/// The per-service lifecycle logic, driven with explicit instants (no threads, no clock).
@Suite struct ServiceStateMachineTests {
    let t0 = ContinuousClock.now

    func machine(_ restart: RestartPolicy = RestartPolicy(), stable: Duration = .seconds(5)) -> ServiceStateMachine {
        ServiceStateMachine(lifecycle: LifecycleConfig(stableThreshold: stable, restart: restart))
    }

    @Test func backOffIsExponentialAndCapped() {
        let policy = RestartPolicy(initialDelay: .seconds(1), maxDelay: .seconds(10), backoffFactor: 2, jitter: 0.1)
        let delays = (1...6).map { policy.delay(attempt: $0, random: 0) }
        #expect(delays == [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(10), .seconds(10)])
        let triple = RestartPolicy(initialDelay: .milliseconds(100), maxDelay: .seconds(90), backoffFactor: 3)
        #expect(triple.delay(attempt: 3, random: 0) == .milliseconds(900))
    }

    @Test func jitterStaysWithinItsFraction() {
        let policy = RestartPolicy(initialDelay: .seconds(4), maxDelay: .seconds(90), backoffFactor: 2, jitter: 0.25)
        #expect(policy.delay(attempt: 1, random: -1) == .seconds(3))
        #expect(policy.delay(attempt: 1, random: 1) == .seconds(5))
        #expect(policy.delay(attempt: 1, random: 7) == .seconds(5))
        for step in stride(from: -1.0, through: 1.0, by: 0.1) {
            let delay = policy.delay(attempt: 2, random: step)
            #expect(delay >= .seconds(6) && delay <= .seconds(10))
        }
    }

    @Test func failureSchedulesRestartAndNormalReturnDoesNot() {
        var machine = machine()
        #expect(machine.startRequested(now: t0) == [.start(run: 1)])
        #expect(machine.started(run: 1, now: t0) == [])
        #expect(machine.status == .running)
        let actions = machine.exited(run: 1, .failure("boom"), now: t0 + .seconds(1), random: 0)
        #expect(actions == [.scheduleRestart(after: .seconds(1), token: 1)])
        #expect(machine.status == .failed && machine.details == "boom" && machine.retryCount == 1)
        #expect(machine.restartDue(token: 1, now: t0 + .seconds(2)) == [.start(run: 2)])
        _ = machine.started(run: 2, now: t0 + .seconds(2))
        #expect(machine.exited(run: 2, .normal, now: t0 + .seconds(3), random: 0) == [])
        #expect(machine.status == .exited)
        var terminal = self.machine()
        _ = terminal.startRequested(now: t0)
        #expect(terminal.exited(run: 1, .terminal("canceled"), now: t0, random: 0) == [])
        #expect(terminal.status == .exited && terminal.details == "canceled")
    }

    @Test func maxAttemptsExhaustedStaysFailed() {
        var machine = machine(RestartPolicy(initialDelay: .seconds(1), maxAttempts: 3))
        var now = t0
        _ = machine.startRequested(now: now)
        var restarts = 0
        for run in 1...3 {
            now += .seconds(1)
            let actions = machine.exited(run: run, .failure("crash \(run)"), now: now, random: 0)
            if case .scheduleRestart(_, let token)? = actions.first {
                restarts += 1
                #expect(machine.restartDue(token: token, now: now) == [.start(run: run + 1)])
            }
        }
        #expect(restarts == 2)
        #expect(machine.status == .failed && machine.retryCount == 3 && !machine.restartPending && !machine.isActive)
        #expect(machine.details.contains("gave up after 3 attempts"))
    }

    @Test func stableRunResetsRetryCount() {
        var machine = machine(stable: .seconds(5))
        _ = machine.startRequested(now: t0)
        _ = machine.started(run: 1, now: t0)
        let first = machine.exited(run: 1, .failure("a"), now: t0 + .seconds(1), random: 0)
        #expect(first == [.scheduleRestart(after: .seconds(1), token: 1)])
        _ = machine.restartDue(token: 1, now: t0 + .seconds(2))
        _ = machine.started(run: 2, now: t0 + .seconds(2))
        // Short run: the streak continues (second delay doubles).
        #expect(machine.exited(run: 2, .failure("b"), now: t0 + .seconds(3), random: 0) == [.scheduleRestart(after: .seconds(2), token: 2)])
        #expect(machine.retryCount == 2)
        _ = machine.restartDue(token: 2, now: t0 + .seconds(5))
        _ = machine.started(run: 3, now: t0 + .seconds(5))
        // Ran for 5 s (the threshold): the count starts again at 1.
        #expect(machine.exited(run: 3, .failure("c"), now: t0 + .seconds(10), random: 0) == [.scheduleRestart(after: .seconds(1), token: 3)])
        #expect(machine.retryCount == 1)
    }

    @Test func startTimeoutFailsTheRun() {
        var machine = machine()
        _ = machine.startRequested(now: t0)
        let actions = machine.startTimeoutElapsed(run: 1, now: t0 + .seconds(10), random: 0)
        #expect(actions == [.terminate(run: 1), .scheduleRestart(after: .seconds(1), token: 1)])
        #expect(machine.status == .failed && machine.details == "start timeout")
        // The late report of the abandoned run changes nothing.
        #expect(machine.started(run: 1, now: t0 + .seconds(11)) == [])
        #expect(machine.status == .failed)
        // A timeout of a run that did start is ignored.
        var started = self.machine()
        _ = started.startRequested(now: t0)
        _ = started.started(run: 1, now: t0)
        #expect(started.startTimeoutElapsed(run: 1, now: t0 + .seconds(10), random: 0) == [])
        #expect(started.status == .running)
    }

    @Test func stopTimeoutTerminates() {
        var machine = machine()
        _ = machine.startRequested(now: t0)
        _ = machine.started(run: 1, now: t0)
        #expect(machine.stopRequested(now: t0) == [.stop(run: 1)])
        #expect(machine.status == .stopping && machine.desired == .stopped)
        #expect(machine.stopTimeoutElapsed(run: 1, now: t0 + .seconds(10)) == [.terminate(run: 1)])
        #expect(machine.status == .failed && machine.details == "stop timeout after 10s")
        #expect(machine.exited(run: 1, .terminal("terminated"), now: t0 + .seconds(10), random: 0) == [])
        #expect(machine.status == .stopped && !machine.isActive)
    }

    @Test func stopCancelsPendingRestart() {
        var machine = machine()
        _ = machine.startRequested(now: t0)
        _ = machine.exited(run: 1, .failure("x"), now: t0, random: 0)
        #expect(machine.restartPending)
        #expect(machine.stopRequested(now: t0) == [])
        #expect(machine.status == .stopped)
        #expect(machine.restartDue(token: 1, now: t0 + .seconds(1)) == [])
    }
}
