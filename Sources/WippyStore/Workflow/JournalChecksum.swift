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
        var hasher = SHA256()
        func field(_ bytes: some ContiguousBytes) {
            bytes.withUnsafeBytes { raw in
                length(UInt64(raw.count))
                hasher.update(bufferPointer: raw)
            }
        }
        func length(_ value: UInt64) {
            withUnsafeBytes(of: value.littleEndian) { hasher.update(bufferPointer: $0) }
        }
        func text(_ string: String) {
            var string = string
            string.withUTF8 { field(UnsafeRawBufferPointer($0)) }
        }
        text(run.workflowID)
        text(run.runID)
        length(seq)
        text(kind)
        text(key)
        field(payload)
        let digest = hasher.finalize()
        return digest.withUnsafeBytes { raw in
            raw.prefix(8).reduce(Int64(0)) { $0 << 8 | Int64($1) }
        }
    }
}
