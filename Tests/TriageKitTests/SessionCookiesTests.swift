import Foundation
import TriageKit
import XCTest

/// HMAC-SHA256 against RFC 4231's test cases, and the signed session cookies of `triage serve`.
final class SessionCookiesTests: XCTestCase {
    func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    func testHMACSHA256MatchesRFC4231() {
        // Test cases 1, 2, 6 (a key longer than a block) and 7 (a long key and message).
        XCTAssertEqual(hex(HMACSHA256.code(Array("Hi There".utf8), key: [UInt8](repeating: 0x0b, count: 20))),
                       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        XCTAssertEqual(HMACSHA256.hex("what do ya want for nothing?", key: Array("Jefe".utf8)),
                       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        XCTAssertEqual(HMACSHA256.hex("Test Using Larger Than Block-Size Key - Hash Key First", key: [UInt8](repeating: 0xaa, count: 131)),
                       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
        XCTAssertEqual(HMACSHA256.hex("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.",
                                      key: [UInt8](repeating: 0xaa, count: 131)),
                       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2")
    }

    func testASessionCookieIsAcceptedBySameTokenOnlyUntilItExpiresAndNotOnceChanged() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let cookies = SessionCookies(token: "s3cret", lifetime: 3600)
        let value = cookies.open(now: now)
        let session = try XCTUnwrap(cookies.session(value, now: now.addingTimeInterval(10)))
        XCTAssertEqual(session.csrf.count, 32)
        XCTAssertEqual(session.expires, now.addingTimeInterval(3600))
        // Another server with the same token (a replica) accepts it; one with another token does not.
        XCTAssertEqual(SessionCookies(token: "s3cret").session(value, now: now), session)
        XCTAssertNil(SessionCookies(token: "other").session(value, now: now))
        XCTAssertNil(cookies.session(value, now: now.addingTimeInterval(3600)), "expired")
        // Every changed character (a later expiry, another CSRF token, a forged MAC) is refused.
        for i in value.indices where value[i] != "." {
            var changed = value
            changed.replaceSubrange(i...i, with: value[i] == "1" ? "2" : "1")
            XCTAssertNil(cookies.session(changed, now: now), changed)
        }
        for bad in ["", "v1", "v1.1.2.3", "v2" + value.dropFirst(2), value + ".x", value.replacingOccurrences(of: ".", with: "..")] {
            XCTAssertNil(cookies.session(bad, now: now), bad)
        }
        XCTAssertNotEqual(cookies.open(now: now), value, "each session has its own id and CSRF token")
    }
}
