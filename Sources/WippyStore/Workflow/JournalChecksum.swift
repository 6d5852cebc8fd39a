import Crypto
import Foundation
import WippyCore

/// The checksum stored with each journal event, over the run, the sequence number, the kind, the key and
/// the payload, each field length-prefixed so no two events hash the same input. It catches a changed byte,
/// an event moved to another run or another place, and a swapped field; it is not a defence against someone
/// who rewrites the file on purpose (they could recompute it).
///
/// Events are written with the CRC-64/XZ of that input (``of(_:seq:kind:key:payload:)``): a CRC detects
/// every burst of up to 64 changed bits, and it costs about a tenth of a SHA-256 here (a SHA-256 was 12 % of
/// all instructions of the 1 000-workflow benchmark, profiled with callgrind). Stores written before this
/// change hold the first 64 bits of a SHA-256 of the same input (``legacy(_:seq:kind:key:payload:)``); a
/// load accepts either (``matches(_:_:seq:kind:key:payload:)``), so no file needs rewriting.
enum JournalChecksum {
    static func of(_ run: WorkflowRunID, seq: UInt64, kind: String, key: String, payload: some ContiguousBytes) -> Int64 {
        withInput(run, seq: seq, kind: kind, key: key, payload: payload) { Int64(bitPattern: CRC64.checksum($0)) }
    }

    /// The checksum of stores written before CRC-64 (SHA-256's first 8 bytes, big-endian).
    static func legacy(_ run: WorkflowRunID, seq: UInt64, kind: String, key: String, payload: some ContiguousBytes) -> Int64 {
        withInput(run, seq: seq, kind: kind, key: key, payload: payload) { input in
            SHA256.hash(data: input).withUnsafeBytes { raw in
                raw.prefix(8).reduce(Int64(0)) { $0 << 8 | Int64($1) }
            }
        }
    }

    /// Whether `checksum` is the event's checksum, as written now or before.
    static func matches(
        _ checksum: Int64, _ run: WorkflowRunID, seq: UInt64, kind: String, key: String, payload: some ContiguousBytes
    ) -> Bool {
        of(run, seq: seq, kind: kind, key: key, payload: payload) == checksum
            || legacy(run, seq: seq, kind: kind, key: key, payload: payload) == checksum
    }

    /// Lays the fields out in one scratch buffer (no array per event) and passes it to `body`.
    private static func withInput<Result>(
        _ run: WorkflowRunID, seq: UInt64, kind: String, key: String, payload: some ContiguousBytes,
        _ body: (UnsafeRawBufferPointer) -> Result
    ) -> Result {
        var workflowID = run.workflowID, runID = run.runID, kind = kind, key = key
        return payload.withUnsafeBytes { payload in
            let capacity = 48 + workflowID.utf8.count + runID.utf8.count + kind.utf8.count + key.utf8.count + payload.count
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buffer in
                var offset = 0
                func append(_ bytes: UnsafeRawBufferPointer) {
                    guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
                    UnsafeMutableRawPointer(buffer.baseAddress! + offset).copyMemory(from: base, byteCount: bytes.count)
                    offset += bytes.count
                }
                func length(_ value: UInt64) {
                    withUnsafeBytes(of: value.littleEndian) { append($0) }
                }
                func text(_ string: inout String) {
                    length(UInt64(string.utf8.count))
                    string.withUTF8 { append(UnsafeRawBufferPointer($0)) }
                }
                text(&workflowID)
                text(&runID)
                length(seq)
                text(&kind)
                text(&key)
                length(UInt64(payload.count))
                append(payload)
                return body(UnsafeRawBufferPointer(start: buffer.baseAddress, count: offset))
            }
        }
    }
}
