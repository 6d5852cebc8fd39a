public import ServiceLifecycle
import UnixSignals

extension Application {
    /// The one `ServiceGroup` of `wippy run`: `services` in start order, the ``RuntimeService`` first (so it
    /// stops last). SIGTERM and SIGINT shut the group down gracefully: each service, in reverse order, is
    /// told to stop and waited for. The runtime bounds its own stop by the shutdown timeout; past that and a
    /// few more seconds the group cancels whatever still runs. Other servers (HTTP) join as more services.
    public func serviceGroup(_ services: [ServiceGroupConfiguration.ServiceConfiguration]) -> ServiceGroup {
        var configuration = ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration = options.shutdownTimeout + .seconds(5)
        return ServiceGroup(configuration: configuration)
    }
}
