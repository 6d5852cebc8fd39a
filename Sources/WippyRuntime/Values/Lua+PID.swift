public import WippyCore
public import WippyLua

extension Lua {
    /// Pushes the text of `pid` as a Lua string without building a Swift string.
    public func push(pid: PID) {
        // The usual PID (a process of this node, not a workflow's): `{host|0x…}` written straight from the
        // host's UTF-8 storage, with no copy of the strings and no size pass over the parts. A spawn returns one
        // of these, so this is on the spawn path.
        if pid.node.isEmpty, pid.uniq & WorkflowIdentity.bit == 0,
            pid.host.utf8.withContiguousStorageIfAvailable({ host in pushOrdinary(host: host, uniq: pid.uniq) }) != nil
        {
            return
        }
        let capacity = pid.maximumTextLength
        withUnsafeTemporaryAllocation(byteCount: capacity, alignment: 1) { buffer in
            let length = pid.write(into: buffer)
            push(bytes: UnsafeRawBufferPointer(rebasing: buffer[0..<length]))
        }
    }

    /// `{host|0x…}` (the counter in lowercase hex, at least five digits), as ``PID/write(into:)`` writes it.
    private func pushOrdinary(host: UnsafeBufferPointer<UInt8>, uniq: UInt64) {
        var digits = 1
        var probe = uniq >> 4
        while probe != 0 {
            digits &+= 1
            probe >>= 4
        }
        let width = max(digits, 5)
        let length = host.count + width + 5
        withUnsafeTemporaryAllocation(byteCount: length, alignment: 1) { buffer in
            let base = buffer.baseAddress!
            base.storeBytes(of: UInt8(ascii: "{"), as: UInt8.self)
            if let source = host.baseAddress, host.count > 0 {
                (base + 1).copyMemory(from: source, byteCount: host.count)
            }
            var position = host.count + 1
            (base + position).storeBytes(of: UInt8(ascii: "|"), as: UInt8.self)
            (base + position + 1).storeBytes(of: UInt8(ascii: "0"), as: UInt8.self)
            (base + position + 2).storeBytes(of: UInt8(ascii: "x"), as: UInt8.self)
            position += 3
            var value = uniq
            var index = position + width - 1
            while index >= position {
                let nibble = UInt8(truncatingIfNeeded: value & 0xF)
                (base + index).storeBytes(of: nibble < 10 ? 48 + nibble : 87 + nibble, as: UInt8.self)
                value >>= 4
                index -= 1
            }
            (base + length - 1).storeBytes(of: UInt8(ascii: "}"), as: UInt8.self)
            push(bytes: UnsafeRawBufferPointer(buffer))
        }
    }
}
