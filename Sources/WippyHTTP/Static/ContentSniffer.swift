/// The content type of a file whose extension names none, read from its first bytes as Go's
/// `http.DetectContentType` does (the WHATWG MIME sniffing signatures): what `http.FileServer`, and so
/// `http.static`, sends for `LICENSE`, `Makefile` or a file saved without its extension.
enum ContentSniffer {
    /// How many leading bytes the signatures look at.
    static let window = 512

    static func type(of data: some Collection<UInt8>) -> String {
        let bytes = Array(data.prefix(window))
        // Markup may follow white space.
        let start = bytes.firstIndex { !whitespace.contains($0) } ?? bytes.count
        let text = bytes[start...]
        for tag in htmlTags where startsWithTag(text, tag) { return "text/html; charset=utf-8" }
        if text.starts(with: Array("<?xml".utf8)) { return "text/xml; charset=utf-8" }
        for (signature, type) in exact where bytes.starts(with: signature) { return type }
        if bytes.count >= 12, bytes.starts(with: Array("RIFF".utf8)) {
            switch String(decoding: bytes[8..<12], as: UTF8.self) {
            case "WEBP": return "image/webp"
            case "WAVE": return "audio/wave"
            case "AVI ": return "video/avi"
            default: break
            }
        }
        if isMP4(bytes) { return "video/mp4" }
        if !bytes.contains(where: binary.contains) { return "text/plain; charset=utf-8" }
        return "application/octet-stream"
    }

    private static let whitespace: Set<UInt8> = [0x09, 0x0A, 0x0C, 0x0D, 0x20]
    /// Bytes no text file holds.
    private static let binary: Set<UInt8> = Set(Array(0x00...0x08) + [0x0B] + Array(0x0E...0x1A) + Array(0x1C...0x1F))

    private static let htmlTags = [
        "<!DOCTYPE HTML", "<HTML", "<HEAD", "<SCRIPT", "<IFRAME", "<H1", "<DIV", "<FONT", "<TABLE", "<A", "<STYLE",
        "<TITLE", "<B", "<BODY", "<BR", "<P", "<!--",
    ].map { Array($0.utf8) }

    /// `tag` (ASCII letters compared without case) followed by a space or `>`.
    private static func startsWithTag(_ text: ArraySlice<UInt8>, _ tag: [UInt8]) -> Bool {
        guard text.count > tag.count else { return false }
        for (offset, expected) in tag.enumerated() {
            var byte = text[text.startIndex + offset]
            if byte >= 0x61 && byte <= 0x7A { byte -= 0x20 }
            if byte != expected { return false }
        }
        let next = text[text.startIndex + tag.count]
        return next == 0x20 || next == 0x3E
    }

    private static let exact: [([UInt8], String)] = [
        (Array("%PDF-".utf8), "application/pdf"),
        (Array("%!PS-Adobe-".utf8), "application/postscript"),
        ([0xFE, 0xFF], "text/plain; charset=utf-16be"),
        ([0xFF, 0xFE], "text/plain; charset=utf-16le"),
        ([0xEF, 0xBB, 0xBF], "text/plain; charset=utf-8"),
        ([0x00, 0x00, 0x01, 0x00], "image/x-icon"),
        ([0x00, 0x00, 0x02, 0x00], "image/x-icon"),
        (Array("BM".utf8), "image/bmp"),
        (Array("GIF87a".utf8), "image/gif"),
        (Array("GIF89a".utf8), "image/gif"),
        ([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "image/png"),
        ([0xFF, 0xD8, 0xFF], "image/jpeg"),
        ([0x1A, 0x45, 0xDF, 0xA3], "video/webm"),
        (Array("ID3".utf8), "audio/mpeg"),
        (Array("OggS".utf8) + [0x00], "application/ogg"),
        (Array("MThd".utf8) + [0x00, 0x00, 0x00, 0x06], "audio/midi"),
        (Array("wOFF".utf8), "font/woff"),
        (Array("wOF2".utf8), "font/woff2"),
        ([0x00, 0x01, 0x00, 0x00], "font/ttf"),
        (Array("OTTO".utf8), "font/otf"),
        (Array("ttcf".utf8), "font/collection"),
        ([0x1F, 0x8B, 0x08], "application/x-gzip"),
        (Array("PK".utf8) + [0x03, 0x04], "application/zip"),
        (Array("Rar!".utf8) + [0x1A, 0x07, 0x00], "application/x-rar-compressed"),
        (Array("Rar!".utf8) + [0x1A, 0x07, 0x01, 0x00], "application/x-rar-compressed"),
        ([0x00] + Array("asm".utf8), "application/wasm"),
    ]

    /// An ISO base media file whose brands include `mp4`.
    private static func isMP4(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 12 else { return false }
        let boxSize = Int(bytes[0]) << 24 | Int(bytes[1]) << 16 | Int(bytes[2]) << 8 | Int(bytes[3])
        guard boxSize % 4 == 0, boxSize <= bytes.count, bytes[4..<8].elementsEqual("ftyp".utf8) else { return false }
        var offset = 8
        while offset + 3 <= boxSize {
            if offset != 12, bytes[offset..<offset + 3].elementsEqual("mp4".utf8) { return true }
            offset += 4
        }
        return false
    }
}
