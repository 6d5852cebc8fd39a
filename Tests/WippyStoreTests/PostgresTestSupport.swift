import Foundation
import WippyCore
import WippyTestSupport
@testable import WippyStore

/// The two stores the shared contract tests run against.
enum StoreKind: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite
    case postgres

    var description: String { rawValue }
}

/// A store under test and what the tests need of it beyond the protocol.
protocol TestedWorkflowStore: WorkflowSignalStore {
    var stats: WorkflowStoreStats { get }
}

extension SQLiteWorkflowStore: TestedWorkflowStore {}
extension PostgresWorkflowStore: TestedWorkflowStore {}

/// Where a test's store lives: a temporary SQLite file or a fresh PostgreSQL schema. ``open()`` opens a store
/// on it; opening again after closing reopens the same data.
final class StoreFixture: Sendable {
    let kind: StoreKind
    private let directory: TemporaryDirectory?
    let postgres: PostgresConnectionSettings?

    init(_ kind: StoreKind) async throws {
        self.kind = kind
        switch kind {
        case .sqlite:
            directory = try TemporaryDirectory()
            postgres = nil
        case .postgres:
            directory = nil
            postgres = try await PostgresTestServer.freshSchema()
        }
    }

    var path: String { (directory?.path ?? "") + "/.wippy/workflows.db" }

    func open() throws -> any TestedWorkflowStore {
        switch kind {
        case .sqlite: try SQLiteWorkflowStore(path: path)
        case .postgres: try PostgresWorkflowStore(settings: postgres!)
        }
    }

    /// The store's name for a table (`journal`, `runs`, `signals`).
    func table(_ name: String) -> String {
        switch kind {
        case .sqlite: "workflow_\(name)"
        case .postgres: "wippy_workflow_\(name)"
        }
    }

    /// Runs `statements` beside the store.
    func execute(_ statements: String...) async throws {
        for statement in statements {
            switch kind {
            case .sqlite: try rawExecute(path, statement)
            case .postgres: try await PostgresTestServer.execute(postgres!, statement)
            }
        }
    }

    /// The first column (text) of the first row of `sql`.
    func fetch(_ sql: String) async throws -> String? {
        switch kind {
        case .sqlite: try rawFetch(path, sql)
        case .postgres: try await PostgresTestServer.fetch(postgres!, sql)
        }
    }
}

extension TemporaryDirectory: @unchecked Sendable {}
