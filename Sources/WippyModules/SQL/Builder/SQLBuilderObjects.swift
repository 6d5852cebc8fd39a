import WippyLua
import WippyRuntime

/// The statement a builder userdata holds (never changed: every method makes a new builder).
final class SQLStatementBox: Sendable {
    let statement: BuiltStatement<SQLBuilderValue>
    init(_ statement: BuiltStatement<SQLBuilderValue>) { self.statement = statement }
}

/// The expression a condition (Sqlizer) userdata holds.
final class SQLConditionBox: Sendable {
    let expression: SQLExpression<SQLBuilderValue>
    init(_ expression: SQLExpression<SQLBuilderValue>) { self.expression = expression }
}

/// Builder, condition and placeholder-format userdata: pushing and reading them.
enum SQLBuilderObjects {
    static let builderTags = [
        ModuleTags.sqlSelectBuilder, ModuleTags.sqlInsertBuilder, ModuleTags.sqlUpdateBuilder, ModuleTags.sqlDeleteBuilder,
    ]

    static func tag(of statement: BuiltStatement<SQLBuilderValue>) -> UserdataTag {
        switch statement {
        case .select: ModuleTags.sqlSelectBuilder
        case .insert: ModuleTags.sqlInsertBuilder
        case .update: ModuleTags.sqlUpdateBuilder
        case .delete: ModuleTags.sqlDeleteBuilder
        }
    }

    /// The statement of the builder at `index`, if it is one.
    static func statement(at index: Int32, in lua: Lua) -> BuiltStatement<SQLBuilderValue>? {
        guard let tag = lua.userdataTag(at: index), builderTags.contains(tag) else { return nil }
        return RetainedObject.object(at: index, tag: tag, in: lua, as: SQLStatementBox.self)?.statement
    }

    /// Pushes a builder of `statement` whose references table is the one at `references`.
    static func push(_ statement: BuiltStatement<SQLBuilderValue>, references: Int32, state: LuaWorkerState, on lua: Lua) {
        let references = lua.absolute(references)
        RetainedObject.push(SQLStatementBox(statement), tag: tag(of: statement), userValues: 1, state: state, on: lua)
        lua.pushValue(at: references)
        lua.setUserValue(-2, 1)
    }

    /// The expression of the condition at `index`, if it is one.
    static func condition(at index: Int32, in lua: Lua) -> SQLExpression<SQLBuilderValue>? {
        RetainedObject.object(at: index, tag: ModuleTags.sqlCondition, in: lua, as: SQLConditionBox.self)?.expression
    }

    /// Pushes a condition of `expression` whose references table is the one at `references`.
    static func push(_ expression: SQLExpression<SQLBuilderValue>, references: Int32, state: LuaWorkerState, on lua: Lua) {
        let references = lua.absolute(references)
        RetainedObject.push(SQLConditionBox(expression), tag: ModuleTags.sqlCondition, userValues: 1, state: state, on: lua)
        lua.pushValue(at: references)
        lua.setUserValue(-2, 1)
    }

    /// Pushes the userdata of placeholder format `format`.
    static func push(_ format: SQLPlaceholderFormat, state: LuaWorkerState, on lua: Lua) {
        let memory = state.newObject(ModuleTags.sqlPlaceholderFormat, size: 1, on: lua)
        let index = SQLPlaceholderFormat.allCases.firstIndex(of: format)!
        memory.storeBytes(of: UInt8(index), as: UInt8.self)
    }

    /// The placeholder format at `index`, if it is one.
    static func format(at index: Int32, in lua: Lua) -> SQLPlaceholderFormat? {
        guard let memory = lua.taggedUserdata(at: index, ModuleTags.sqlPlaceholderFormat) else { return nil }
        let cases = SQLPlaceholderFormat.allCases
        let raw = Int(memory.load(as: UInt8.self))
        return raw < cases.count ? cases[raw] : nil
    }

    // MARK: - Garbage collection

    static let collectSelect: LuaNativeFunction = { state in
        RetainedObject.release(Lua(state!), tag: ModuleTags.sqlSelectBuilder, as: SQLStatementBox.self)
    }
    static let collectInsert: LuaNativeFunction = { state in
        RetainedObject.release(Lua(state!), tag: ModuleTags.sqlInsertBuilder, as: SQLStatementBox.self)
    }
    static let collectUpdate: LuaNativeFunction = { state in
        RetainedObject.release(Lua(state!), tag: ModuleTags.sqlUpdateBuilder, as: SQLStatementBox.self)
    }
    static let collectDelete: LuaNativeFunction = { state in
        RetainedObject.release(Lua(state!), tag: ModuleTags.sqlDeleteBuilder, as: SQLStatementBox.self)
    }
    static let collectCondition: LuaNativeFunction = { state in
        RetainedObject.release(Lua(state!), tag: ModuleTags.sqlCondition, as: SQLConditionBox.self)
    }
}
