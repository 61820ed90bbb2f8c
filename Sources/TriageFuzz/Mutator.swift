import CTriageFuzz
import Foundation
import FuzzTargets
import Statistics

// A structure-aware mutator for the JSON targets (model configurations). Byte mutations rarely
// turn `"filters":96` into `"filters":-1` and keep the rest valid JSON; half the time this one
// parses the input, picks a number, array, string, boolean or key (also inside JSON held in a
// string, such as an image model's `preprocessing.image`) and gives it an absurd value, then
// writes the JSON back. The other half, and for every other target, libFuzzer mutates bytes.

@_cdecl("LLVMFuzzerCustomMutator")
public func fuzzCustomMutator(_ data: UnsafeMutablePointer<UInt8>?, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    guard let data else { return 0 }
    var random = SplitMix64(seed: UInt64(seed))  // seeded by libFuzzer: a run can be repeated
    if selected?.mutation == .json, random.next() % 2 == 0,
       let mutated = JSONMutator.mutate(Data(bytes: data, count: size), random: &random), mutated.count <= maxSize {
        mutated.copyBytes(to: data, count: mutated.count)
        return mutated.count
    }
    return LLVMFuzzerMutate(data, size, maxSize)
}

enum JSONMutator {
    enum Step { case key(String), index(Int) }
    enum Kind { case number, string, array, bool, object, embedded }

    static let integers: [Int] = [0, -1, 1, 2, 3, 4, 7, 16, 255, 256, 1000, 65535, 65536, 100_000, -100_000,
                                  Int(Int32.max), 1 << 31, 1 << 32, 1 << 40, 1 << 62, Int.max, Int.min]
    static let doubles: [Double] = [0.5, -0.5, 1e-30, 1e30, 1e308, -1e308, 3.4e38, -3.4e38]
    static let strings = ["", "../../../../etc/passwd", "/etc/passwd", ".", "a\u{0}b", "NaN", "-1", "1e999", "relu", "lstm",
                          "cnn", "same", "valid", "image", "tb-resistance", "multi-label", "\u{FFFD}"]

    /// The input with one value changed, or nil when its first part is not JSON.
    static func mutate(_ input: Data, random: inout SplitMix64) -> Data? {
        let separator = Data("\n%%\n".utf8)
        let cut = input.range(of: separator)
        let head = cut.map { input[input.startIndex..<$0.lowerBound] } ?? input
        guard let tree = try? JSONSerialization.jsonObject(with: head, options: [.fragmentsAllowed]),
              let changed = mutate(tree, random: &random),
              let json = try? JSONSerialization.data(withJSONObject: changed, options: [.sortedKeys, .fragmentsAllowed]) else { return nil }
        return cut.map { json + input[$0.lowerBound...] } ?? json
    }

    /// `tree` with one value changed.
    static func mutate(_ tree: Any, random: inout SplitMix64) -> Any? {
        var slots: [([Step], Kind)] = []
        collect(tree, path: [], into: &slots)
        guard !slots.isEmpty else { return nil }
        let (path, kind) = slots[Int(random.next() % UInt64(slots.count))]
        let old = value(tree, at: path[...])
        let new: Any?
        switch kind {
        case .number: new = number(old as? NSNumber, random: &random)
        case .bool: new = !((old as? NSNumber)?.boolValue ?? false)
        case .string:
            let s = old as? String ?? ""
            new = random.next() % 4 == 0 ? s + s : strings[Int(random.next() % UInt64(strings.count))]
        case .array: new = array(old as? [Any] ?? [], random: &random)
        case .object:
            var o = old as? [String: Any] ?? [:]
            if let key = o.keys.sorted().randomElement(using: &random) { o[key] = nil }
            new = o
        case .embedded:
            guard let text = old as? String, let inner = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]),
                  let changed = mutate(inner, random: &random),
                  let json = try? JSONSerialization.data(withJSONObject: changed, options: [.sortedKeys, .fragmentsAllowed]) else { return nil }
            new = String(decoding: json, as: UTF8.self)
        }
        guard let new else { return nil }
        return replacing(tree, at: path[...], with: new)
    }

    static func number(_ old: NSNumber?, random: inout SplitMix64) -> Any {
        let isDouble = old.map { String(cString: $0.objCType) == "d" || String(cString: $0.objCType) == "f" } ?? false
        let current = old?.int64Value ?? 0
        switch random.next() % 6 {
        case 0: return Int(current) &+ 1
        case 1: return Int(current) &- 1
        case 2: return 0 &- Int(current)
        case 3: return Int(current) &* 2
        case 4: return isDouble ? doubles[Int(random.next() % UInt64(doubles.count))] : integers[Int(random.next() % UInt64(integers.count))]
        default: return integers[Int(random.next() % UInt64(integers.count))]
        }
    }

    static func array(_ old: [Any], random: inout SplitMix64) -> Any {
        var a = old
        switch random.next() % 7 {
        case 0: return [Any]()
        case 1: return [integers[Int(random.next() % UInt64(integers.count))]]
        case 2: if let e = a.randomElement(using: &random) { a.append(e) }
        case 3: if !a.isEmpty { a.remove(at: Int(random.next() % UInt64(a.count))) }
        case 4: a.reverse()
        case 5: if let e = a.first { a = Array(repeating: e, count: 1 + Int(random.next() % 64)) }
        default: a.append(integers[Int(random.next() % UInt64(integers.count))])
        }
        return a
    }

    static func collect(_ node: Any, path: [Step], into slots: inout [([Step], Kind)]) {
        switch node {
        case let o as [String: Any]:
            if !o.isEmpty { slots.append((path, .object)) }
            for key in o.keys.sorted() { collect(o[key]!, path: path + [.key(key)], into: &slots) }
        case let a as [Any]:
            slots.append((path, .array))
            for (i, e) in a.enumerated() { collect(e, path: path + [.index(i)], into: &slots) }
        case let s as String:
            let first = s.utf8.first
            slots.append((path, first == UInt8(ascii: "{") || first == UInt8(ascii: "[") ? .embedded : .string))
        case let n as NSNumber:
            slots.append((path, String(cString: n.objCType) == "c" ? .bool : .number))
        default:
            break
        }
    }

    static func value(_ node: Any, at path: ArraySlice<Step>) -> Any? {
        guard let step = path.first else { return node }
        switch (step, node) {
        case let (.key(k), o as [String: Any]): return o[k].flatMap { value($0, at: path.dropFirst()) }
        case let (.index(i), a as [Any]) where i < a.count: return value(a[i], at: path.dropFirst())
        default: return nil
        }
    }

    static func replacing(_ node: Any, at path: ArraySlice<Step>, with new: Any) -> Any {
        guard let step = path.first else { return new }
        switch (step, node) {
        case let (.key(k), o as [String: Any]):
            var copy = o
            if let child = o[k] { copy[k] = replacing(child, at: path.dropFirst(), with: new) }
            return copy
        case let (.index(i), a as [Any]) where i < a.count:
            var copy = a
            copy[i] = replacing(a[i], at: path.dropFirst(), with: new)
            return copy
        default:
            return node
        }
    }
}
