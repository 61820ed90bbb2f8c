import CLibXML2
import Foundation

// The one door to libxml2 (the only file that imports CLibXML2): parse a
// document held in memory, walk its elements, evaluate XPath expressions.

/// Why an XML document could not be parsed, with the line libxml2 reported.
public struct XMLParseError: Error, CustomStringConvertible, Sendable {
    /// The file or archive member the XML came from.
    public let origin: String
    /// The 1-based line of the first error, when libxml2 knows it.
    public let line: Int?
    /// libxml2's message.
    public let message: String
    public var description: String {
        if let line { return "\(origin):\(line): not well-formed XML: \(message)" }
        return "\(origin): not well-formed XML: \(message)"
    }
}

/// A parsed XML document (libxml2 tree); nodes keep it alive.
public final class XMLDocument: @unchecked Sendable {
    private let doc: xmlDocPtr
    /// The file or archive member it came from, for messages.
    public let origin: String

    private static let initialise: Void = { xmlInitParser() }()

    /// Parses `data`; throws `XMLParseError` naming `origin` and the line when it is not well-formed.
    public init(data: Data, origin: String) throws {
        _ = XMLDocument.initialise
        self.origin = origin
        xmlResetLastError()
        // No XML_PARSE_HUGE: libxml2's own limits (depth 256, 10 MB per text node) stay on, and
        // no XML_PARSE_NOENT / DTDLOAD: entities are never substituted, external ones never fetched.
        let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue
                            | XML_PARSE_NOWARNING.rawValue
                            | XML_PARSE_NOBLANKS.rawValue | XML_PARSE_COMPACT.rawValue)
        let parsed: xmlDocPtr? = data.withUnsafeBytes { raw in
            guard let base = raw.baseAddress, raw.count > 0, raw.count <= Int(Int32.max) else { return nil }
            return xmlReadMemory(base.assumingMemoryBound(to: CChar.self), Int32(raw.count), origin, nil, options)
        }
        guard let parsed else {
            var line: Int?
            var message = data.isEmpty ? "the file is empty" : "libxml2 could not parse it"
            if let error = xmlGetLastError() {
                line = error.pointee.line > 0 ? Int(error.pointee.line) : nil
                if let text = error.pointee.message {
                    message = String(cString: text).trimmingCharacters(in: .whitespacesAndNewlines)
                }
            }
            throw XMLParseError(origin: origin, line: line, message: message)
        }
        // Reports and the tabular list declare no entities; a document that does is refused rather than
        // expanded (billion laughs, an entity that refers to another, external entities).
        if let dtd = parsed.pointee.intSubset, dtd.pointee.entities != nil || dtd.pointee.pentities != nil {
            xmlFreeDoc(parsed)
            throw XMLParseError(origin: origin, line: nil,
                                message: "it declares XML entities, which Triage does not expand (entity expansion is refused)")
        }
        doc = parsed
    }

    /// One XPath context per document, made on first use.
    private var context: xmlXPathContextPtr?

    deinit {
        if let context { xmlXPathFreeContext(context) }
        xmlFreeDoc(doc)
    }

    /// The root element, if any.
    public var root: XMLNode? {
        guard let node = xmlDocGetRootElement(doc) else { return nil }
        return XMLNode(node: node, document: self)
    }

    /// The element and attribute nodes an XPath expression selects (empty when it selects none).
    public func xpath(_ expression: String) -> [XMLNode] {
        if context == nil { context = xmlXPathNewContext(doc) }
        guard let context else { return [] }
        guard let object = xmlXPathEvalExpression(expression, context) else { return [] }
        defer { xmlXPathFreeObject(object) }
        guard let set = object.pointee.nodesetval, set.pointee.nodeNr > 0,
              let table = set.pointee.nodeTab else { return [] }
        var nodes: [XMLNode] = []
        nodes.reserveCapacity(Int(set.pointee.nodeNr))
        for i in 0..<Int(set.pointee.nodeNr) {
            if let node = table[i] { nodes.append(XMLNode(node: node, document: self)) }
        }
        return nodes
    }
}

/// An element (or attribute) of a parsed `XMLDocument`.
public struct XMLNode: @unchecked Sendable {
    fileprivate let node: xmlNodePtr
    fileprivate let document: XMLDocument

    /// The element's tag name.
    public var name: String { node.pointee.name.map { String(cString: $0) } ?? "" }

    /// The concatenated text of the node and its descendants.
    public var text: String {
        var bytes: [UInt8] = []
        XMLNode.appendText(of: node, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the text and CDATA content under `node` (libxml2 stores it as UTF-8). Entity references
    /// are not followed (their content is shared, so following them could expand without bound); the
    /// recursion is bounded by libxml2's depth limit of 256.
    private static func appendText(of node: xmlNodePtr, to bytes: inout [UInt8]) {
        if node.pointee.type == XML_TEXT_NODE || node.pointee.type == XML_CDATA_SECTION_NODE {
            if let content = node.pointee.content {
                var p = content
                while p.pointee != 0 { bytes.append(p.pointee); p += 1 }
            }
            return
        }
        if node.pointee.type == XML_ENTITY_REF_NODE || node.pointee.type == XML_ENTITY_NODE { return }
        var child = node.pointee.children
        while let current = child {
            appendText(of: current, to: &bytes)
            child = current.pointee.next
        }
    }

    /// The name of the parent element (of the owner element, for an attribute).
    public var parentName: String { node.pointee.parent?.pointee.name.map { String(cString: $0) } ?? "" }

    /// The 1-based source line of the element.
    public var line: Int { Int(xmlGetLineNo(node)) }

    /// The value of attribute `name`, if present.
    public func attribute(_ name: String) -> String? {
        guard let attr = xmlHasProp(node, name) else { return nil }
        var bytes: [UInt8] = []
        var child = attr.pointee.children
        while let current = child {
            XMLNode.appendText(of: current, to: &bytes)
            child = current.pointee.next
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The element children, in document order.
    public var children: [XMLNode] {
        var result: [XMLNode] = []
        var child = node.pointee.children
        while let current = child {
            if current.pointee.type == XML_ELEMENT_NODE { result.append(XMLNode(node: current, document: document)) }
            child = current.pointee.next
        }
        return result
    }

    /// Calls `body` on each element child without building an array (the fast walk for big files).
    public func forEachChild(_ body: (XMLNode) throws -> Void) rethrows {
        var child = node.pointee.children
        while let current = child {
            if current.pointee.type == XML_ELEMENT_NODE { try body(XMLNode(node: current, document: document)) }
            child = current.pointee.next
        }
    }

    /// The first element child named `name`.
    public func child(_ name: String) -> XMLNode? {
        var child = node.pointee.children
        while let current = child {
            if current.pointee.type == XML_ELEMENT_NODE, let n = current.pointee.name,
               strcmp(UnsafeRawPointer(n).assumingMemoryBound(to: CChar.self), name) == 0 {
                return XMLNode(node: current, document: document)
            }
            child = current.pointee.next
        }
        return nil
    }
}
