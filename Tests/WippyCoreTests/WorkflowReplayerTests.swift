import Testing
@testable import WippyCore

/// The replay state machine: commands are matched in journal order, events handed out in journal order,
/// divergence named, and what is new numbered after the journal (issue 8, item 3).
@Suite struct WorkflowReplayerTests {
    private func call(_ function: String) -> WorkflowCommand { .call(function: function, arguments: .array([]), options: .null) }

    private func journal(_ entries: [(String, String)]) -> [JournalEvent] {
        entries.enumerated().map { index, entry in
            JournalEvent(seq: UInt64(index + 1), kind: entry.0, key: entry.1, payload: [UInt8(index)])
        }
    }

    @Test func aFreshRunNumbersCommandsAndEventsInOrder() {
        var replayer = WorkflowReplayer(journal: journal([("start", "")]))
        #expect(replayer.nextEvent()?.kind == "start")
        #expect(replayer.nextEvent() == nil)
        guard case .new(let first) = replayer.issue(call("app:charge"), payload: [9]) else {
            Issue.record("expected a new command")
            return
        }
        #expect(first.seq == 2 && first.kind == "call" && first.key == "app:charge" && first.payload == [9])
        let answer = replayer.append(kind: "result", key: "2", payload: [1])
        #expect(answer.seq == 3)
        #expect(replayer.lastSeq == 3)
        #expect(replayer.historyLength == 3)
    }

    @Test func replayMatchesCommandsAndDeliversEventsAtTheirPlaces() {
        // start, call a, signal (arrived while the code ran), call b, result of a, timer, fired
        let entries = journal([
            ("start", ""), ("call", "app:a"), ("signal", "approve"), ("call", "app:b"), ("result", "2"), ("timer", ""),
            ("fired", "6"),
        ])
        var replayer = WorkflowReplayer(journal: entries)
        #expect(replayer.nextEvent()?.kind == "start")
        #expect(replayer.issue(call("app:a"), payload: []) == .replayed(entries[1]))
        // the code goes on issuing before it blocks: the signal waits for the block point
        #expect(replayer.issue(call("app:b"), payload: []) == .replayed(entries[3]))
        #expect(replayer.nextEvent() == entries[2])
        #expect(replayer.nextEvent() == entries[4])
        #expect(replayer.isAnswered(2))
        #expect(!replayer.isAnswered(4))
        #expect(replayer.issue(.timer(duration: 5, fireAt: 99), payload: []) == .replayed(entries[5]))
        #expect(replayer.isReplayingEvents)
        #expect(replayer.nextEvent() == entries[6])
        #expect(!replayer.isReplayingEvents && !replayer.isReplayingCommands)
        guard case .new(let next) = replayer.issue(call("app:c"), payload: []) else {
            Issue.record("expected a new command after the journal")
            return
        }
        #expect(next.seq == 8)
    }

    @Test func aDifferentCommandIsADivergenceNamingBoth() {
        var replayer = WorkflowReplayer(journal: journal([("start", ""), ("call", "app:a"), ("result", "2")]))
        _ = replayer.nextEvent()
        let issued = replayer.issue(call("app:other"), payload: [])
        #expect(issued == .diverged(WorkflowDivergence(seq: 2, expected: "call app:a", actual: "call app:other")))
        if case .diverged(let divergence) = issued {
            #expect(divergence.description.contains("expected call app:a"))
            #expect(divergence.description.contains("call app:other"))
        }
        let kind = replayer.issue(.timer(duration: 1, fireAt: 1), payload: [])
        #expect(kind == .diverged(WorkflowDivergence(seq: 2, expected: "call app:a", actual: "timer")))
    }

    @Test func codeThatEndsWithJournaledCommandsLeftIsNamed() {
        var replayer = WorkflowReplayer(journal: journal([("start", ""), ("call", "app:a"), ("result", "2"), ("version", "v2")]))
        _ = replayer.issue(call("app:a"), payload: [])
        #expect(replayer.unmatchedCommand(actual: "the workflow returned")
            == WorkflowDivergence(seq: 4, expected: "version v2", actual: "the workflow returned"))
        _ = replayer.issue(.version(change: "v2", version: 1), payload: [])
        #expect(replayer.unmatchedCommand(actual: "x") == nil)
    }

    @Test func aLongJournalOfEventsIsWalkedOnce() {
        // 200 000 signals before one command: matching and delivery stay linear.
        var entries = [JournalEvent(seq: 1, kind: "start", key: "", payload: [])]
        for seq in 2...200_001 { entries.append(JournalEvent(seq: UInt64(seq), kind: "signal", key: "s", payload: [])) }
        entries.append(JournalEvent(seq: 200_002, kind: "call", key: "app:a", payload: []))
        var replayer = WorkflowReplayer(journal: entries)
        var delivered = 0
        while replayer.nextEvent() != nil {
            delivered += 1
            #expect(replayer.isReplayingCommands)
        }
        #expect(delivered == 200_001)
        #expect(replayer.issue(call("app:a"), payload: []) == .replayed(entries.last!))
        #expect(!replayer.isReplayingCommands)
    }

    @Test func eventPayloadsCarryTheirTime() throws {
        let bytes = WorkflowJournalCodec.event(time: 1_700_000_000_123, .map([("ok", .bool(true))]))
        let decoded = try WorkflowJournalCodec.decodeEvent(bytes)
        #expect(decoded.time == 1_700_000_000_123)
        #expect(decoded.body["ok"] == .bool(true))
        #expect(throws: WippyError.self) { try WorkflowJournalCodec.decodeEvent([1, 2, 3]) }
    }
}
