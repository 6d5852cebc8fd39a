import WippyCore

extension JSONParser {
    /// Parses the rest of a string whose opening quote is just before `position`, and the closing quote.
    ///
    /// Invalid UTF-8 is replaced by U+FFFD byte by byte, and so are unpaired surrogate escapes, as Go's decoder does.
    mutating func parseStringBody() throws(WippyError) -> String {
        let start = position
        let isASCII = skipPlainStringContent()
        guard position < input.count else { throw .jsonUnexpectedEnd(offset: position) }
        let byte = input[position]
        if byte == UInt8(ascii: "\"") {
            let text = UnsafeBufferPointer(rebasing: input[start..<position])
            position += 1
            return isASCII ? String(decoding: text, as: UTF8.self) : GoUTF8.repairedString(text)
        }
        if byte == UInt8(ascii: "\\") {
            return try parseEscapedString(from: start, isASCII: isASCII)
        }
        throw .jsonInvalidCharacter(byte, "in string literal", offset: position)
    }

    /// Parses an object key like ``parseStringBody()`` and also returns the FNV-1a hash of its UTF-8 bytes.
    ///
    /// Plain ASCII keys are hashed straight from the input and, in large inputs, looked up in ``keyCache`` so that the
    /// keys repeated in every record of a document are created once.
    mutating func parseKey() throws(WippyError) -> (key: String, hash: UInt64) {
        let start = position
        let isASCII = skipPlainStringContent()
        if isASCII && position < input.count && input[position] == UInt8(ascii: "\"") {
            let text = UnsafeBufferPointer(rebasing: input[start..<position])
            position += 1
            let hash = JSONKeyCache.hash(text)
            guard cachesKeys else { return (String(decoding: text, as: UTF8.self), hash) }
            if let cached = keyCache.lookup(text, hash: hash) { return (cached, hash) }
            let key = String(decoding: text, as: UTF8.self)
            keyCache.store(key, hash: hash)
            return (key, hash)
        }
        position = start
        let key = try parseStringBody()
        return (key, JSONKeyCache.hash(key))
    }

    /// Advances `position` over string content up to the first `"`, `\`, control byte or the end of input, and
    /// returns whether every byte skipped was ASCII.
    @inline(__always)
    private mutating func skipPlainStringContent() -> Bool {
        let count = input.count
        var highBits: UInt64 = 0
        // Eight bytes at a time while no byte in the word needs attention.
        if let base = UnsafeRawPointer(input.baseAddress) {
            while position + 8 <= count {
                let word = (base + position).loadUnaligned(as: UInt64.self)
                if JSONWordScan.needsEscape(word) { break }
                highBits |= word
                position += 8
            }
        }
        while position < count {
            let byte = input[position]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { break }
            highBits |= UInt64(byte)
            position += 1
        }
        return highBits & JSONWordScan.highBits == 0
    }

    /// The slow path of ``parseStringBody()``: the string has escapes. `position` is at the first backslash.
    private mutating func parseEscapedString(from start: Int, isASCII: Bool) throws(WippyError) -> String {
        var isASCII = isASCII
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: input[start..<position]))
        let count = input.count
        var runStart = position
        while position < count {
            let byte = input[position]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: input[runStart..<position]))
                position += 1
                if byte == UInt8(ascii: "\"") {
                    return scratch.withUnsafeBufferPointer { bytes in
                        isASCII ? String(decoding: bytes, as: UTF8.self) : GoUTF8.repairedString(bytes)
                    }
                }
                try parseEscape()
                runStart = position
                continue
            }
            if byte < 0x20 {
                throw .jsonInvalidCharacter(byte, "in string literal", offset: position)
            }
            if byte >= 0x80 { isASCII = false }
            position += 1
        }
        throw .jsonUnexpectedEnd(offset: position)
    }

    /// Decodes one escape; `position` is just after the backslash.
    private mutating func parseEscape() throws(WippyError) {
        guard position < input.count else { throw .jsonUnexpectedEnd(offset: position) }
        let code = input[position]
        position += 1
        switch code {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(code)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0c)
        case UInt8(ascii: "n"): scratch.append(0x0a)
        case UInt8(ascii: "r"): scratch.append(0x0d)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try parseHex4()
            if scalar >= 0xd800 && scalar < 0xdc00 {
                // A high surrogate needs `\uDC00`–`\uDFFF` right after it; otherwise it alone becomes U+FFFD and what
                // follows is read on its own.
                if let low = peekLowSurrogate() {
                    scalar = 0x10000 + ((scalar - 0xd800) << 10) + (low - 0xdc00)
                    position += 6
                } else {
                    scalar = 0xfffd
                }
            } else if scalar >= 0xdc00 && scalar < 0xe000 {
                scalar = 0xfffd
            }
            appendUTF8(scalar)
        default:
            throw .jsonInvalidCharacter(code, "in string escape code", offset: position - 1)
        }
    }

    private mutating func parseHex4() throws(WippyError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard position < input.count else { throw .jsonUnexpectedEnd(offset: position) }
            let byte = input[position]
            guard let digit = Self.hexValue(byte) else {
                throw .jsonInvalidCharacter(byte, "in \\u hexadecimal character escape", offset: position)
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    /// The low surrogate of a `\uXXXX` escape at `position`, without consuming it.
    private func peekLowSurrogate() -> UInt32? {
        guard position + 6 <= input.count, input[position] == UInt8(ascii: "\\"),
            input[position + 1] == UInt8(ascii: "u")
        else { return nil }
        var value: UInt32 = 0
        for offset in 2..<6 {
            guard let digit = Self.hexValue(input[position + offset]) else { return nil }
            value = value << 4 | digit
        }
        return value >= 0xdc00 && value < 0xe000 ? value : nil
    }

    private static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(byte - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    private mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            scratch.append(UInt8(scalar))
        case 0x80..<0x800:
            scratch.append(UInt8(0xc0 | scalar >> 6))
            scratch.append(UInt8(0x80 | scalar & 0x3f))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xe0 | scalar >> 12))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3f))
            scratch.append(UInt8(0x80 | scalar & 0x3f))
        default:
            scratch.append(UInt8(0xf0 | scalar >> 18))
            scratch.append(UInt8(0x80 | scalar >> 12 & 0x3f))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3f))
            scratch.append(UInt8(0x80 | scalar & 0x3f))
        }
    }
}
