public import WippyCore
public import WippyLua

extension Lua {
    /// Pushes the text of `pid` as a Lua string without building a Swift string.
    public func push(pid: PID) {
        let capacity = pid.maximumTextLength
        withUnsafeTemporaryAllocation(byteCount: capacity, alignment: 1) { buffer in
            let length = pid.write(into: buffer)
            push(bytes: UnsafeRawBufferPointer(rebasing: buffer[0..<length]))
        }
    }
}
