#if canImport(Glibc)
import Glibc
#endif
#if canImport(SwiftOverlayShims)
// `timespec` (a file's modification time) is declared there once swift-nio-extras is in the graph.
import SwiftOverlayShims
#endif

/// Directory listings as Go's `http.FileServer` writes them (an HTML `<pre>` of links, directories with a
/// trailing `/`, sorted by name), and the `stat` the static files need. Blocking: called on the thread pool.
enum DirectoryListing {
    struct Status {
        let directory: Bool
        let size: Int
        let modified: Int
    }

    static func status(_ path: String) -> Status? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let kind = info.st_mode & S_IFMT
        guard kind == S_IFDIR || kind == S_IFREG else { return nil }
        return Status(directory: kind == S_IFDIR, size: Int(info.st_size), modified: Int(info.st_mtim.tv_sec))
    }

    /// The entry names of `directory` (directories with a trailing `/`), sorted; `nil` if it cannot be read.
    static func names(_ directory: String) -> [String]? {
        guard let handle = opendir(directory) else { return nil }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            let isDirectory = status(directory + "/" + name)?.directory ?? false
            names.append(isDirectory ? name + "/" : name)
        }
        return names.sorted()
    }

    static func html(_ names: [String]) -> String {
        var text = "<!doctype html>\n<meta name=\"viewport\" content=\"width=device-width\">\n<pre>\n"
        for name in names {
            text += "<a href=\"\(escapeHref(name))\">\(escapeHTML(name))</a>\n"
        }
        return text + "</pre>\n"
    }

    static func escapeHTML(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&#34;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// Percent-escapes what a path segment cannot carry as is (a `:` first would read as a scheme).
    static func escapeHref(_ name: String) -> String {
        var out = ""
        for byte in name.utf8 {
            let safe = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || "-._~/!$&'()*+,;=@".utf8.contains(byte)
            out += safe ? String(UnicodeScalar(byte)) : "%" + String(byte, radix: 16, uppercase: true).leftPadded
        }
        return out.hasPrefix(":") || out.contains(":") ? "./" + out : out
    }
}

extension String {
    /// A one-digit hex byte with its leading zero (listing escapes, multipart boundaries).
    var leftPadded: String { count == 1 ? "0" + self : self }
}

/// HTTP dates (`Mon, 02 Jan 2006 15:04:05 GMT`) from and to Unix seconds.
enum HTTPDate {
    static func format(_ seconds: Int) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Parses the IMF-fixdate form (`Sun, 06 Nov 1994 08:49:37 GMT`); `nil` for anything else.
    static func parse(_ text: String) -> Int? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT", let day = Int(parts[1]), let month = months.firstIndex(of: String(parts[2])),
            let year = Int(parts[3])
        else { return nil }
        let clock = parts[4].split(separator: ":")
        guard clock.count == 3, let hour = Int(clock[0]), let minute = Int(clock[1]), let second = Int(clock[2]) else { return nil }
        var fields = tm()
        fields.tm_year = Int32(year - 1900)
        fields.tm_mon = Int32(month)
        fields.tm_mday = Int32(day)
        fields.tm_hour = Int32(hour)
        fields.tm_min = Int32(minute)
        fields.tm_sec = Int32(second)
        return Int(timegm(&fields))
    }
}

/// Content types by file extension, as Go's `mime` table gives them (text types with `charset=utf-8`).
enum HTTPContentType {
    static let table: [String: String] = [
        "html": "text/html; charset=utf-8", "htm": "text/html; charset=utf-8", "css": "text/css; charset=utf-8",
        "js": "text/javascript; charset=utf-8", "mjs": "text/javascript; charset=utf-8", "json": "application/json",
        "txt": "text/plain; charset=utf-8", "md": "text/markdown; charset=utf-8", "csv": "text/csv; charset=utf-8",
        "xml": "text/xml; charset=utf-8", "svg": "image/svg+xml", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg",
        "gif": "image/gif", "webp": "image/webp", "avif": "image/avif", "ico": "image/vnd.microsoft.icon", "pdf": "application/pdf",
        "wasm": "application/wasm", "woff": "font/woff", "woff2": "font/woff2", "ttf": "font/ttf", "otf": "font/otf",
        "mp4": "video/mp4", "webm": "video/webm", "mp3": "audio/mpeg", "wav": "audio/wav", "zip": "application/zip",
        "gz": "application/gzip", "map": "application/json", "webmanifest": "application/manifest+json",
    ]

    /// The type the file's extension names; `nil` when it has none the table knows (sniff its content).
    static func forPath(_ path: String) -> String? {
        guard let dot = path.lastIndex(of: "."), !path[dot...].contains("/") else { return nil }
        return table[path[path.index(after: dot)...].lowercased()]
    }
}
