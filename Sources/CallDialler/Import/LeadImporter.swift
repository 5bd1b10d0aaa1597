import Foundation

/// Reads leads from CSV or JSON.
///
/// CSV: a header row naming the columns; `phone` is required, `id` (or `lead_id`) and
/// `priority` are optional (a missing id becomes `row-<n>`), every other column goes into
/// ``LeadRecord/data``. Fields may be quoted (`"..."`, `""` for a quote), quoted fields may
/// contain commas and newlines. JSON: an array of objects with `id`, `phone`, optional
/// `priority` and `data` (string values).
public enum LeadImporter {
    /// Parses `text` as CSV or, when it starts with `[`, as JSON.
    public static func parse(_ text: String) throws(DiallerError) -> [LeadRecord] {
        let trimmed = text.drop { $0.isWhitespace }
        return trimmed.first == "[" ? try json(Data(text.utf8)) : try csv(text)
    }

    /// Parses a JSON array of leads.
    public static func json(_ data: Data) throws(DiallerError) -> [LeadRecord] {
        struct Wire: Decodable {
            var id: String
            var phone: String
            var priority: Int?
            var data: [String: String]?
        }
        let wires: [Wire]
        do {
            wires = try JSONDecoder().decode([Wire].self, from: data)
        } catch {
            throw .invalidInput("lead JSON: \(error)")
        }
        let leads = wires.map { LeadRecord(id: $0.id, phone: $0.phone, priority: $0.priority ?? 0, data: $0.data ?? [:]) }
        try validate(leads)
        return leads
    }

    /// Parses CSV with a header row.
    public static func csv(_ text: String) throws(DiallerError) -> [LeadRecord] {
        var rows = try CSVRows.parse(text)
        guard !rows.isEmpty else { return [] }
        let header = rows.removeFirst().map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard let phoneColumn = header.firstIndex(of: "phone") else { throw .invalidInput("CSV needs a phone column") }
        let idColumn = header.firstIndex(of: "id") ?? header.firstIndex(of: "lead_id")
        let priorityColumn = header.firstIndex(of: "priority")
        var leads: [LeadRecord] = []
        for (number, row) in rows.enumerated() where !(row.count == 1 && row[0].isEmpty) {
            guard row.count == header.count else {
                throw .invalidInput("CSV row \(number + 2) has \(row.count) fields, the header \(header.count)")
            }
            var priority = 0
            if let priorityColumn, !row[priorityColumn].isEmpty {
                guard let value = Int(row[priorityColumn].trimmingCharacters(in: .whitespaces)) else {
                    throw .invalidInput("CSV row \(number + 2): priority \(row[priorityColumn]) is not a number")
                }
                priority = value
            }
            var data: [String: String] = [:]
            for (index, name) in header.enumerated() where index != phoneColumn && index != idColumn && index != priorityColumn {
                data[name] = row[index]
            }
            let id = idColumn.map { row[$0] }.flatMap { $0.isEmpty ? nil : $0 } ?? "row-\(number + 1)"
            leads.append(LeadRecord(id: id, phone: row[phoneColumn].trimmingCharacters(in: .whitespaces), priority: priority, data: data))
        }
        try validate(leads)
        return leads
    }

    static func validate(_ leads: [LeadRecord]) throws(DiallerError) {
        var seen = Set<String>()
        for lead in leads {
            if lead.id.isEmpty { throw .invalidInput("lead id must not be empty") }
            if !seen.insert(lead.id).inserted { throw .invalidInput("duplicate lead id \(lead.id)") }
            let digits = lead.phone.dropFirst(lead.phone.hasPrefix("+") ? 1 : 0)
            if digits.isEmpty || !digits.allSatisfy(\.isNumber) {
                throw .invalidInput("lead \(lead.id): phone \(lead.phone) is not a number")
            }
        }
    }
}

/// RFC 4180 rows.
enum CSVRows {
    static func parse(_ text: String) throws(DiallerError) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var chars = Array(text).makeIterator()
        var pending = chars.next()
        while let char = pending {
            pending = chars.next()
            if quoted {
                if char == "\"" {
                    if pending == "\"" { field.append("\""); pending = chars.next() } else { quoted = false }
                } else {
                    field.append(char)
                }
                continue
            }
            switch char {
            case "\"" where field.isEmpty: quoted = true
            case ",": row.append(field); field = ""
            case "\n", "\r\n", "\r":
                row.append(field); field = ""
                rows.append(row); row = []
            default: field.append(char)
            }
        }
        if quoted { throw .invalidInput("CSV ends inside a quoted field") }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }
}
