import Foundation
import Inputs
import TestSupport
import XCTest
@testable import Deid

/// The rules of corpora/deid: every example, the marked notes of examples.txt, offsets, surrogates,
/// the PhysioNet reader.
final class DeidTests: XCTestCase {
    static let rules: DeidRules? = try? DeidRules.load(folder: TestPaths.project("corpora/deid"))

    func deidentifier() throws -> Deidentifier {
        Deidentifier(rules: try XCTUnwrap(DeidTests.rules, "corpora/deid does not load"))
    }

    func testEveryRuleExample() throws {
        let d = try deidentifier()
        XCTAssertGreaterThan(d.rules.examples.count, 30)
        for example in d.rules.examples {
            let spans = d.find(example.text)
            let t = example.target
            let touching = spans.filter { $0.start < t.upperBound && t.lowerBound < $0.end }
            if let type = example.expect {
                XCTAssertTrue(touching.contains { $0.type == type && $0.start <= t.lowerBound && $0.end >= t.upperBound },
                              "\(example.rule): expected \(type) over \(t) in `\(example.text)`, found \(spans)")
            } else {
                XCTAssertTrue(touching.isEmpty, "\(example.rule): expected nothing over \(t) in `\(example.text)`, found \(touching)")
            }
        }
    }

    /// The notes of examples.txt with their marks removed, and the marked spans (scalars of the note text).
    static func markedNotes() throws -> [(text: String, gold: [PHISpan])] {
        let raw = try String(contentsOfFile: TestPaths.project("corpora/deid/examples.txt"), encoding: .utf8)
        let body = raw.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("#") }.joined(separator: "\n")
        let notes = NoteReader.physionet(body, origin: "examples.txt") { XCTFail("\($0)") }
        return notes.map { note in
            var text = String.UnicodeScalarView()
            var gold: [PHISpan] = []
            let s = Array(note.text.unicodeScalars)
            var i = 0
            while i < s.count {
                if s[i] == "<", i + 1 < s.count, s[i + 1] == "<", let colon = s[i...].firstIndex(of: ":"),
                   let close = (colon..<s.count).first(where: { $0 + 1 < s.count && s[$0] == ">" && s[$0 + 1] == ">" }) {
                    let type = PHIType(rawValue: String(String.UnicodeScalarView(s[(i + 2)..<colon]))) ?? .name
                    let start = text.count
                    text.append(contentsOf: s[(colon + 1)..<close])
                    gold.append(PHISpan(start: start, end: text.count, type: type,
                                        text: String(String.UnicodeScalarView(s[(colon + 1)..<close]))))
                    i = close + 2
                } else {
                    text.append(s[i])
                    i += 1
                }
            }
            return (String(text), gold)
        }
    }

    /// Recall over the marked identifiers (a gold span counts when spans cover all of it) and
    /// precision over the spans found (a span counts when it lies inside a gold span).
    func testMarkedNotes() throws {
        let d = try deidentifier()
        let notes = try DeidTests.markedNotes()
        XCTAssertEqual(notes.count, 18)
        var goldCount = 0, covered = 0, found = 0, correct = 0
        var misses: [String] = [], extras: [String] = []
        for (text, gold) in notes {
            let spans = d.find(text)
            for g in gold {
                goldCount += 1
                let scalarsCovered = (g.start..<g.end).allSatisfy { k in spans.contains { $0.start <= k && k < $0.end } }
                if scalarsCovered { covered += 1 } else { misses.append(g.text) }
            }
            for s in spans {
                found += 1
                if gold.contains(where: { $0.start <= s.start && s.end <= $0.end }) { correct += 1 } else { extras.append(s.text) }
            }
        }
        let recall = Double(covered) / Double(goldCount)
        let precision = Double(correct) / Double(max(found, 1))
        print("deid on examples.txt: recall \(covered)/\(goldCount), precision \(correct)/\(found); missed \(misses); extra \(extras)")
        XCTAssertGreaterThanOrEqual(recall, 0.98, "missed: \(misses)")
        XCTAssertGreaterThanOrEqual(precision, 0.95, "extra: \(extras)")
    }

    func testTheContractNote() throws {
        let d = try deidentifier()
        let text = "PT SEEN BY DR. HOLLOWAY ON 7/22. CALL WIFE AT 617-555-0123. 93 YO MALE.\n"
        let spans = d.find(text)
        let found = Dictionary(spans.map { ($0.text, $0.type) }, uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(found["HOLLOWAY"], .name)
        XCTAssertEqual(found["7/22"], .date)
        XCTAssertEqual(found["617-555-0123"], .phone)
        XCTAssertEqual(found["93"], .age)
        XCTAssertEqual(spans.count, 4, "\(spans)")
        let family = d.find("NO CHANGES OVERNIGHT; FAMILY (DAUGHTER MARIA) AT BEDSIDE.\n")
        XCTAssertEqual(family.map(\.text), ["MARIA"])
    }

    func testOffsetsCountUnicodeScalars() throws {
        let d = try deidentifier()
        let text = "Señora José Álvarez — seen by Dr. Müller on 7/22/2093; café 😀 call 617-555-0123."
        let scalars = Array(text.unicodeScalars)
        for s in d.find(text) {
            XCTAssertEqual(String(String.UnicodeScalarView(scalars[s.start..<s.end])), s.text)
        }
        XCTAssertTrue(d.find(text).contains { $0.text == "Müller" && $0.type == .name })
    }

    func testNothingInAnOrdinaryNursingNote() throws {
        let d = try deidentifier()
        let note = """
        NEURO: ALERT AND ORIENTED X3, MAE, FOLLOWS COMMANDS. CV: SR 80S, BP 120/70, K 3.9, MG 2.1.
        RESP: LUNGS CLEAR BILAT, SATS 95% ON 4L NC. GI: ABD SOFT, NT/ND, +BS, TF AT GOAL 60CC/HR.
        GU: FOLEY TO GRAVITY, UO 40-60CC/HR. SKIN: INTACT. ID: TMAX 99.1, ON VANCO/ZOSYN.
        PLAN: CONTINUE TO MONITOR, WEAN O2 AS TOLERATED, OOB TO CHAIR IN AM. 1/2 NS AT 75CC/HR.
        """
        XCTAssertEqual(d.find(note), [], "\(d.find(note))")
    }

    func testTagsAndSurrogates() throws {
        let d = try deidentifier()
        let text = "SEEN BY DR. HOLLOWAY ON 7/22/2093. FOLLOW UP 7/29/2093 WITH DR. HOLLOWAY. 93 YO."
        let tagged = d.deidentify(text, patient: "7", replacement: .tag, key: 1)
        XCTAssertEqual(tagged.text, "SEEN BY DR. [**NAME**] ON [**DATE**]. FOLLOW UP [**DATE**] WITH DR. [**NAME**]. [**AGE**] YO.")
        let a = d.deidentify(text, patient: "7", replacement: .surrogate, key: 1)
        let b = d.deidentify(text, patient: "7", replacement: .surrogate, key: 1)
        XCTAssertEqual(a, b, "surrogates are a function of the key, the patient and the identifier")
        XCTAssertFalse(a.text.contains("HOLLOWAY"))
        XCTAssertFalse(a.text.contains("7/22/2093"))
        // The same name twice: the same surrogate; the two dates still a week apart.
        let words = a.text.components(separatedBy: "DR. ").dropFirst().map { $0.prefix { $0 != " " && $0 != "." } }
        XCTAssertEqual(words.count, 2)
        XCTAssertEqual(words.first, words.last)
        let dates = a.text.split(separator: " ").compactMap { w -> Date? in
            let s = w.trimmingCharacters(in: CharacterSet(charactersIn: "."))
            let f = DateFormatter()
            f.dateFormat = "M/d/yyyy"
            f.timeZone = TimeZone(identifier: "UTC")
            return s.contains("/") ? f.date(from: s) : nil
        }
        XCTAssertEqual(dates.count, 2, a.text)
        if dates.count == 2 { XCTAssertEqual(dates[1].timeIntervalSince(dates[0]), 7 * 86400) }
        // Another patient: another shift (almost always) and other names.
        let other = d.deidentify(text, patient: "8", replacement: .surrogate, key: 1)
        XCTAssertNotEqual(other.text, a.text)
    }

    func testPhysioNetRecords() throws {
        let file = "START_OF_RECORD=7||||1||||\nFIRST NOTE.\n||||END_OF_RECORD\nSTART_OF_RECORD=7||||2||||\nNO END\nSTART_OF_RECORD=bad\nX\n||||END_OF_RECORD\nSTART_OF_RECORD=8||||3||||\nLAST\n||||END_OF_RECORD\n"
        var bad: [InputError] = []
        let notes = NoteReader.physionet(file, origin: "n.text") { bad.append($0) }
        XCTAssertEqual(notes.map(\.id), ["7-1", "8-3"])
        XCTAssertEqual(notes.first?.text, "FIRST NOTE.\n")
        XCTAssertEqual(notes.last?.origin, "n.text:9")
        XCTAssertEqual(bad.map(\.line), [4, 6])
        XCTAssertEqual(NoteReader.physionet("just text", origin: "x") { bad.append($0) }, [])
        XCTAssertEqual(bad.count, 3)
    }

    func testBadRuleFilesNameTheLine() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let source = TestPaths.project("corpora/deid")
        for name in ["first-names.txt", "last-names.txt", "clinical-words.txt", "cities.txt", "states.txt", "countries.txt"] {
            try FileManager.default.copyItem(atPath: source + "/" + name, toPath: folder.file(name))
        }
        _ = try folder.write("rules.txt", "title: dr | example: DR. [X] | expect: NAME\nbogus: x | example: [y] | expect: none\n")
        XCTAssertThrowsError(try DeidRules.load(folder: folder.path)) { error in
            XCTAssertEqual((error as? InputError)?.line, 2, "\(error)")
        }
    }
}
