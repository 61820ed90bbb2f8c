// Shared by the server's batched statements: slices of a bounded size, and repeats merged before
// one statement writes them (a statement may not write the same row twice).

extension RandomAccessCollection {
    /// Consecutive slices of `size` elements (at least one; the last may be shorter), in order; none when empty.
    func chunks(of size: Int) -> [SubSequence] {
        let size = Swift.max(1, size)
        var slices: [SubSequence] = []
        var start = startIndex
        while start != endIndex {
            let end = index(start, offsetBy: size, limitedBy: endIndex) ?? endIndex
            slices.append(self[start..<end])
            start = end
        }
        return slices
    }
}

extension Sequence {
    /// One element per key, each at the place its key first appears; a repeat is merged into the
    /// element kept so far by `merge(&kept, repeat)`, in order.
    func mergingRepeats<Key: Hashable>(by key: (Element) -> Key, _ merge: (inout Element, Element) -> Void) -> [Element] {
        var kept: [Element] = []
        var place: [Key: Int] = [:]
        for element in self {
            let k = key(element)
            if let at = place[k] { merge(&kept[at], element) } else { place[k] = kept.count; kept.append(element) }
        }
        return kept
    }
}
