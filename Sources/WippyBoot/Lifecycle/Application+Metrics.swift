public import ServiceLifecycle
public import WippyCore
import Logging
import WippyHTTP

extension Application {
    /// The Prometheus scrape endpoint as a service for the run's group, when `.wippy.yaml` enables metrics
    /// and gives an address (`nil` otherwise).
    ///
    /// - Throws: `Invalid` when `prometheus.address` is not `host:port`.
    public func metricsEndpoint(onRunning: @escaping @Sendable (Int) -> Void = { _ in }) throws(WippyError) -> (any Service)? {
        guard let metrics, let address = configFile.prometheusAddress else { return nil }
        let (host, port): (String, Int)
        do {
            (host, port) = try HTTPConfig.listenAddress(address)
        } catch {
            throw WippyError.invalid(".wippy.yaml: 'prometheus.address': \(error.message)")
        }
        let logger = self.logger
        return PrometheusEndpoint.service(collector: metrics, host: host, port: port, logger: logger) { port in
            logger.info("metrics served on http://\(host):\(port)/metrics")
            onRunning(port)
        }
    }
}
