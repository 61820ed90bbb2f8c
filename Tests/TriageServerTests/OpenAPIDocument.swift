import Foundation
import TestSupport
import TriageKit

/// The repository's OpenAPI file, and a checker of responses against it: the subset of JSON
/// Schema the file uses ($ref, type, properties, required, additionalProperties, items, enum,
/// const, minimum, maximum, minLength, maxLength, minItems, maxItems, minProperties, pattern,
/// not, allOf, anyOf). Schemathesis (tools/test-openapi) checks the same file from outside.
struct OpenAPIDocument: @unchecked Sendable {
    let root: [String: Any]

    init() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: TestPaths.project("Sources/TriageServer/Assets/openapi.json")))
        root = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    /// "METHOD /path" of every operation.
    var operations: [String] {
        let paths = root["paths"] as? [String: [String: Any]] ?? [:]
        return paths.flatMap { path, methods in methods.keys.map { "\($0.uppercased()) \(path)" } }.sorted()
    }

    /// The problems of `body` as the response of `method path` with `status` (empty: it conforms).
    /// `path` is the template (`/api/models/{name}`).
    func problems(_ method: String, _ path: String, status: Int, contentType: String?, body: Data) -> [String] {
        guard let operation = (root["paths"] as? [String: Any]).flatMap({ $0[path] as? [String: Any] })?[method.lowercased()] as? [String: Any] else {
            return ["\(method) \(path) is not in the OpenAPI file"]
        }
        guard let response = (operation["responses"] as? [String: Any])?[String(status)] as? [String: Any] else {
            return ["\(method) \(path): status \(status) is not documented"]
        }
        guard let content = response["content"] as? [String: Any] else { return body.isEmpty ? [] : ["\(status) has no documented body"] }
        let type = (contentType ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard let media = content[type] as? [String: Any] else {
            return ["\(method) \(path) \(status): content type '\(type)' is not documented (\(content.keys.sorted()))"]
        }
        guard type.contains("json") else { return [] }
        guard let value = JSONValue(json: body) else { return ["the body is not JSON"] }
        return check(value, against: media["schema"] as? [String: Any] ?? [:], at: "$")
    }

    /// The problems of `value` against `schema`.
    func check(_ value: JSONValue, against schema: [String: Any], at path: String) -> [String] {
        if let ref = schema["$ref"] as? String {
            let name = ref.replacingOccurrences(of: "#/components/schemas/", with: "")
            guard let target = ((root["components"] as? [String: Any])?["schemas"] as? [String: Any])?[name] as? [String: Any] else {
                return ["\(path): unresolved \(ref)"]
            }
            return check(value, against: target, at: path)
        }
        var out: [String] = []
        if let types = schema["type"].map({ $0 as? [String] ?? [$0 as? String ?? ""] }), !types.contains(where: { OpenAPIDocument.isType(value, $0) }) {
            return ["\(path): \(value) is not \(types.joined(separator: " or "))"]
        }
        if let options = schema["enum"] as? [Any], !options.contains(where: { OpenAPIDocument.same($0, value) }) {
            out.append("\(path): \(value) is not one of \(options)")
        }
        if let constant = schema["const"], !OpenAPIDocument.same(constant, value) { out.append("\(path): \(value) is not \(constant)") }
        switch value {
        case .number(let n):
            if let minimum = (schema["minimum"] as? NSNumber)?.doubleValue, n < minimum { out.append("\(path): \(n) < \(minimum)") }
            if let maximum = (schema["maximum"] as? NSNumber)?.doubleValue, n > maximum { out.append("\(path): \(n) > \(maximum)") }
        case .string(let s):
            let length = s.unicodeScalars.count
            if let minimum = schema["minLength"] as? Int, length < minimum { out.append("\(path): shorter than \(minimum)") }
            if let maximum = schema["maxLength"] as? Int, length > maximum { out.append("\(path): longer than \(maximum)") }
            if let pattern = schema["pattern"] as? String, s.range(of: pattern, options: .regularExpression) == nil {
                out.append("\(path): '\(s)' does not match \(pattern)")
            }
        case .array(let items):
            if let minimum = schema["minItems"] as? Int, items.count < minimum { out.append("\(path): fewer than \(minimum) items") }
            if let maximum = schema["maxItems"] as? Int, items.count > maximum { out.append("\(path): more than \(maximum) items") }
            if let itemSchema = schema["items"] as? [String: Any] {
                for (i, item) in items.enumerated() { out += check(item, against: itemSchema, at: "\(path)[\(i)]") }
            }
        case .object(let object):
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for key in schema["required"] as? [String] ?? [] where object[key] == nil { out.append("\(path): '\(key)' is missing") }
            if let minimum = schema["minProperties"] as? Int, object.count < minimum { out.append("\(path): fewer than \(minimum) properties") }
            for (key, item) in object {
                if let property = properties[key] as? [String: Any] {
                    out += check(item, against: property, at: "\(path).\(key)")
                } else if let additional = schema["additionalProperties"] {
                    if let allowed = additional as? Bool, !allowed { out.append("\(path): '\(key)' is not documented") }
                    if let additionalSchema = additional as? [String: Any] { out += check(item, against: additionalSchema, at: "\(path).\(key)") }
                }
            }
        case .bool, .null:
            break
        }
        if let not = schema["not"] as? [String: Any], check(value, against: not, at: path).isEmpty { out.append("\(path): matches what 'not' forbids") }
        for part in schema["allOf"] as? [[String: Any]] ?? [] { out += check(value, against: part, at: path) }
        if let any = schema["anyOf"] as? [[String: Any]], !any.contains(where: { check(value, against: $0, at: path).isEmpty }) {
            out.append("\(path): matches none of anyOf")
        }
        return out
    }

    static func isType(_ value: JSONValue, _ type: String) -> Bool {
        switch (type, value) {
        case ("object", .object), ("array", .array), ("string", .string), ("null", .null), ("boolean", .bool), ("number", .number): return true
        case ("integer", .number(let n)): return n.rounded() == n
        default: return false
        }
    }

    /// True when a value of the OpenAPI file (from JSONSerialization) equals a response's value.
    static func same(_ a: Any, _ b: JSONValue) -> Bool {
        switch b {
        case .string(let s): return (a as? String) == s
        case .number(let n): return !(a is String) && (a as? NSNumber)?.doubleValue == n
        default: return false
        }
    }
}
