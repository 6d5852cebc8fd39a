import Crypto
import Foundation
import WippyCore

/// The checksum stored with each journal event: the first 64 bits of a SHA-256 over the run, the sequence
/// number, the kind, the key and the payload, each field length-prefixed so no two events hash the same
/// input. It catches a changed byte, an event moved to another run or another place, and a swapped field;
/// it is not a defence against someone who rewrites the file on purpose (they could recompute it).
///
/// SHA-256 (swift-crypto, BoringSSL underneath) rather than a hand-written CRC: it is already a dependency,
/// costs well under a microsecond for a small event, and 64 of its bits make an accidental match negligible.
enum JournalChecksum {
    static func of(_ run: WorkflowRunID, seq: UInt64, kind: String, key: String, payload: some ContiguousBytes) -> Int64 {
        // The fields are laid out in one buffer and hashed in one call: the same bytes as feeding them one by
        // one, without a hasher update per field, and in scratch memory rather than a new array (this runs
        // once per event).
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
                let digest = SHA256.hash(data: UnsafeRawBufferPointer(start: buffer.baseAddress, count: offset))
                return digest.withUnsafeBytes { raw in
                    raw.prefix(8).reduce(Int64(0)) { $0 << 8 | Int64($1) }
                }
            }
        }
    }
}
