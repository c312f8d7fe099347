// The sign's logic without hardware: what the ESP32 firmware and the host build share, in portable C++17 with
// no Arduino dependency, so it compiles and is tested on the host with g++ (test/firmware.test.ts).
// It mirrors the TypeScript the server, panel and simulator use: the frames are checked against golden frames
// drawn by src/shared/display/frames.ts, and the font (font5x7.h) and the rules (sign_rules.h, with Effect) are
// generated from it, so no limit or default is typed here.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "sign_rules.h"

namespace marquee {

// A fixed text buffer starts empty; a non-empty default would need copying in.
static_assert(kDefaultText[0] == '\0', "SignState assumes the rules' default text is empty");

// One LedSign record, as a sign shows it. Sized for a microcontroller: fixed buffers, no heap.
struct SignState {
	char text[kTextMaxLength + 1] = ""; // printable ASCII, kFirstPrintableChar to kLastPrintableChar
	uint8_t red = kDefaultRed, green = kDefaultGreen, blue = kDefaultBlue;
	uint8_t brightness = kDefaultBrightness; // kBrightnessMin to kBrightnessMax
	bool power = kDefaultPower;
	Effect effect = kDefaultEffect;
	uint8_t speed = kDefaultSpeed; // kSpeedMin to kSpeedMax
	uint32_t version = 0;
	// Harper's commit timestamp of the change (ms since 1970, fractional), which the device rule orders by. A
	// double: it holds every value up to 2^53, with the fraction a commit timestamp has. An older server sends
	// none (or null): hasCommitTime is false.
	bool hasCommitTime = false;
	double commitTime = 0;
	bool transient = false; // a non-retained message: shown until the next stored change
};

enum class ParseResult { Ok, Deleted, Invalid };

// Parses a LedSign payload (a flat JSON object; `null` or an empty payload when the sign was deleted). Fields it
// does not know are skipped, so newer servers can add fields. Invalid: not JSON, or a field of the wrong type or
// range.
ParseResult parseSignRecord(const char *json, size_t length, SignState &out);

// The stored change a sign shows, as the device rule compares it. A default one is "nothing shown": what a sign
// has when its subscription begins (every connect) and after the sign is deleted.
struct ShownChange {
	bool none = true;
	uint32_t version = 0; // what the sign reports as shownVersion
	bool hasCommitTime = false;
	double commitTime = 0;
};

// The stored change `state` is, as a sign remembers it once shown.
ShownChange shownChangeOf(const SignState &state);

// The device rule (shouldShow in src/shared/sign-rules.ts): show a transient message always; anything when
// nothing is shown, since the first message of a subscription is the server's current truth (a sign created
// again restarts at version 1, a restore or a cluster's last-writer-wins can bring back an earlier state);
// otherwise a change with a later commitTime than the one shown, or, when either has none (an older server),
// a greater version. Anything else is a late or replayed delivery, or the losing side of a concurrent write.
bool shouldShow(const SignState &incoming, const ShownChange &shown);

// Status payloads for SignStatus/<id>; each returns the length written (as snprintf), or 0 if it did not fit.
// Pass kNoRssi as rssi for a device without Wi-Fi (it is reported as null): above the rules' range, so never
// a real reading.
constexpr int kNoRssi = kRssiMax + 1;
size_t formatBirth(char *out, size_t size, uint32_t shownVersion, const char *firmware, int rssi, uint16_t width,
				   uint16_t height);
size_t formatReport(char *out, size_t size, uint32_t shownVersion);
constexpr const char *kWillPayload = "{\"online\":false}";

// Effect timing, as in src/shared/display/frames.ts.
inline uint32_t scrollStepMs(uint8_t speed) { return kScrollStepMsAtSpeed1 / speed; }
inline uint32_t blinkHalfPeriodMs(uint8_t speed) { return kBlinkHalfPeriodMsAtSpeed1 / speed; }

// The frame the sign shows `elapsedMs` after it started showing `state`: one byte per LED, row-major,
// 1 lit and 0 dark. `pixels` holds width * height bytes. Colour and brightness are applied by the display.
void renderFrame(const SignState &state, uint32_t elapsedMs, uint16_t width, uint16_t height, uint8_t *pixels);

} // namespace marquee
