import Testing
import WippyCore
import WippyResources

@Suite struct HTTPClientEncodingTests {
    @Test func formEscapingKeepsUnreservedBytesAndTurnsSpacesIntoPlus() throws {
        #expect(FormEncoding.escape("AZaz09-_.~") == "AZaz09-_.~")
        #expect(FormEncoding.escape("a b+c/é") == "a+b%2Bc%2F%C3%A9")
        #expect(try FormEncoding.unescape("a+b%2Bc%2f%C3%A9") == "a b+c/é")
        #expect(throws: WippyError.self) { try FormEncoding.unescape("50%") }
        #expect(throws: WippyError.self) { try FormEncoding.unescape("%g0") }
    }

    @Test func queryValuesReplaceTheURLsAndTheQueryIsSortedByKey() {
        #expect(FormEncoding.url("http://h/p?z=1&b=2&b=3#top", setting: [("b", "x"), ("a", "y z")]) == "http://h/p?a=y+z&b=x&z=1#top")
        #expect(FormEncoding.url("http://h/p", setting: [("k", "v")]) == "http://h/p?k=v")
        #expect(FormEncoding.url("http://h/p?keep=1", setting: []) == "http://h/p?keep=1")
    }

    @Test func headerNamesTakeTheCanonicalForm() {
        #expect(HeaderName.canonical("content-type") == "Content-Type")
        #expect(HeaderName.canonical("X-REQUEST-ID") == "X-Request-Id")
        #expect(HeaderName.canonical("www-authenticate") == "Www-Authenticate")
        #expect(HeaderName.canonical("bad name") == "bad name")
    }

    @Test func multipartBodiesListFieldsThenFiles() {
        let body = MultipartBody(
            fields: [("b", "2"), ("a", "1")], files: [.init(field: "up", filename: "x\"y.txt", content: Array("data".utf8))],
            boundary: "B")
        #expect(
            String(decoding: body.bytes, as: UTF8.self)
                == "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n"
                + "--B\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\n2\r\n"
                + "--B\r\nContent-Disposition: form-data; name=\"up\"; filename=\"x\\\"y.txt\"\r\nContent-Type: application/octet-stream\r\n\r\ndata\r\n"
                + "--B--\r\n")
        #expect(MultipartBody.randomBoundary().count == 30)
    }
}
