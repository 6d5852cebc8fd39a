/// Byte sizes as `wippy run -m` and `GOMEMLIMIT` write them: plain bytes, or a number with a suffix `K`, `M`,
/// `G` or `T` (powers of 1024), optionally followed by `B` or `iB` (`512M`, `1G`, `2048MiB`, `1GB`).
public enum MemorySize {
    /// The bytes `text` names; nil when it is not a size (negative, fractional, unknown suffix, overflow).
    public static func parse(_ text: String) -> Int64? {
        var rest = Substring(text.trimmingWhitespace())
        guard !rest.isEmpty else { return nil }
        if rest.hasSuffix("iB") { rest = rest.dropLast(2) } else if rest.hasSuffix("B") || rest.hasSuffix("b") { rest = rest.dropLast() }
        var shift: Int64 = 0
        if let last = rest.last, let power = "KMGT".firstIndex(of: Character(last.uppercased())) {
            shift = Int64("KMGT".distance(from: "KMGT".startIndex, to: power) + 1) * 10
            rest = rest.dropLast()
        }
        guard !rest.isEmpty, rest.allSatisfy(\.isASCIIDigit), let number = Int64(rest) else { return nil }
        let (bytes, overflow) = number.multipliedReportingOverflow(by: Int64(1) << shift)
        return overflow ? nil : bytes
    }

    /// The smallest per-process limit accepted: a process needs some memory to start at all.
    public static let minimumProcessLimit: Int64 = 1 << 20

    /// A per-process memory limit as configuration writes it (`host.process_memory_limit`, the
    /// `memory_limit` spawn option): a size (`64M`, `1G`, `512MiB`) or a number of bytes, at least 1 MiB, or 0
    /// for no limit. Returns the bytes, 0 for none.
    ///
    /// - Parameter name: what to call the value in the error (`host.process_memory_limit`).
    /// - Throws: `Invalid` naming `name` and the value.
    public static func processLimit(_ value: Payload, name: String) throws(WippyError) -> Int64 {
        let bytes: Int64?
        switch value {
        case .int(let number): bytes = number >= 0 ? number : nil
        case .double(let number): bytes = number >= 0 && number.rounded() == number && number < 0x1p62 ? Int64(number) : nil
        default: bytes = value.stringValue.flatMap(parse)
        }
        guard let bytes else {
            throw WippyError.invalid("\(name) must be a size such as 64M, 1G or a number of bytes (0 for no limit), got \(value)")
        }
        guard bytes == 0 || bytes >= minimumProcessLimit else {
            throw WippyError.invalid("\(name) must be at least 1M (or 0 for no limit), got \(value)")
        }
        return bytes
    }

    /// The soft memory limit to run with: the `-m` value if given, else `GOMEMLIMIT`, else 1 GiB.
    ///
    /// - Throws: `Invalid` naming the value that is not a size.
    public static func memoryLimit(flag: String?, environment: String?) throws(WippyError) -> Int64 {
        if let flag {
            guard let bytes = parse(flag) else {
                throw WippyError.invalid("--memory-limit must be a size such as 512M, 1G or a number of bytes (got \"\(flag)\")")
            }
            return bytes
        }
        if let environment, !environment.isEmpty {
            guard let bytes = parse(environment) else {
                throw WippyError.invalid("GOMEMLIMIT must be a size such as 512MiB or 1GiB (got \"\(environment)\")")
            }
            return bytes
        }
        return 1 << 30
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> Substring {
        var slice = Substring(self)
        while slice.first?.isWhitespace == true { slice.removeFirst() }
        while slice.last?.isWhitespace == true { slice.removeLast() }
        return slice
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
