import PostgresNIO

/// Turns postgres-nio and task errors into ``CapacityError``.
enum PostgresErrorMapping {
    static func map(_ error: any Error) -> CapacityError {
        if let error = error as? CapacityError { return error }
        if error is CancellationError { return .cancelled }
        if let error = error as? PostgresTransactionError {
            if let inner = error.closureError ?? error.beginError ?? error.commitError { return map(inner) }
            return .database(message: "transaction failed")
        }
        return .database(message: message(of: error))
    }

    /// A message with the server's SQLSTATE and text when there is one. PSQLError's own
    /// `description` hides details on purpose, so read the server fields.
    static func message(of error: any Error) -> String {
        if let error = error as? PostgresTransactionError {
            if let inner = error.closureError ?? error.beginError ?? error.commitError { return message(of: inner) }
        }
        if let error = error as? PSQLError {
            if let info = error.serverInfo {
                let state = info[.sqlState] ?? "?????"
                let text = info[.message] ?? "unknown server error"
                return "\(state): \(text)"
            }
            return "\(error.code)"
        }
        return String(describing: error)
    }
}
