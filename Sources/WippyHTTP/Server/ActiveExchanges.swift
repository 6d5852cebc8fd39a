public import WippyCore

/// The exchanges whose endpoint invocation runs, by that invocation's process: registered by the server's
/// dispatcher before the invocation starts, looked up by `http.request()` and `http.response()`, removed
/// when it ends.
public enum ActiveExchanges {
    public static let shared = InvocationTable<HTTPExchange>()
}
