// Host tests of the firmware core (g++, no Arduino): parsing, the device rule, status payloads, and every
// golden frame drawn by the TypeScript renderer. Usage: test_core <path to devices/golden/frames.txt>
#include <stdio.h>
#include <string.h>

#include <fstream>
#include <string>
#include <vector>

#include "sign_core.h"

using namespace marquee;

static int failures = 0;
static int checks = 0;

#define CHECK(condition, ...)                                                                                          \
	do {                                                                                                               \
		++checks;                                                                                                      \
		if (!(condition)) {                                                                                            \
			++failures;                                                                                                \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #condition);                                       \
			fprintf(stderr, __VA_ARGS__);                                                                              \
			fprintf(stderr, "\n");                                                                                     \
		}                                                                                                              \
	} while (0)

static ParseResult parse(const char *json, SignState &out) { return parseSignRecord(json, strlen(json), out); }

static void testParsing() {
	SignState state;
	const char *record = "{\"id\":\"lobby\",\"text\":\"Hi \\\"there\\\" \\u0041\",\"color\":\"#12aBcD\",\"brightness\":7,"
						 "\"power\":false,\"effect\":\"blink\",\"speed\":9,\"version\":42,\"updatedAt\":\"2026-01-01T00:00:00Z\","
						 "\"future\":{\"nested\":[1,2,{\"a\":null}]}}";
	CHECK(parse(record, state) == ParseResult::Ok, "a full record parses");
	CHECK(strcmp(state.text, "Hi \"there\" A") == 0, "text with escapes: %s", state.text);
	CHECK(state.red == 0x12 && state.green == 0xab && state.blue == 0xcd, "colour");
	CHECK(state.brightness == 7 && !state.power && state.effect == Effect::Blink && state.speed == 9, "fields");
	CHECK(state.version == 42 && !state.transient, "version");
	CHECK(!state.hasCommitTime, "no commitTime (an older server)");

	// Harper's commit timestamps: ms since 1970 with a fraction, which a double keeps.
	SignState timed;
	CHECK(parse("{\"version\":1,\"commitTime\":1764604800123.457}", timed) == ParseResult::Ok, "commitTime");
	CHECK(timed.hasCommitTime && timed.commitTime == 1764604800123.457, "commitTime value: %.17g", timed.commitTime);
	CHECK(parse("{\"version\":1,\"commitTime\":9007199254740992}", timed) == ParseResult::Ok &&
			  timed.commitTime == 9007199254740992.0,
		  "commitTime up to 2^53");
	CHECK(parse("{\"version\":1,\"commitTime\":null}", timed) == ParseResult::Ok && !timed.hasCommitTime,
		  "a null commitTime is none");

	SignState transient;
	CHECK(parse("{\"text\":\"x\",\"version\":3,\"transient\":true}", transient) == ParseResult::Ok, "transient");
	CHECK(transient.transient, "transient flag");

	SignState untouched = state;
	CHECK(parse("null", untouched) == ParseResult::Deleted, "null means deleted");
	CHECK(parse("", untouched) == ParseResult::Deleted, "an empty payload means deleted");
	CHECK(parse(" \r\n", untouched) == ParseResult::Deleted, "a blank payload means deleted");
	const char *invalid[] = {"{", "not json", "{\"text\":\"x\"}", "{\"version\":-1}", "{\"version\":1.5}",
							 "{\"version\":1,\"brightness\":101}", "{\"version\":1,\"speed\":0}", "{\"version\":1,\"color\":\"red\"}",
							 "{\"version\":1,\"effect\":\"spin\"}", "{\"version\":1,\"power\":\"yes\"}", "{\"version\":1} trailing",
							 "[1,2]", "{\"version\":1,\"commitTime\":\"soon\"}", "{\"version\":1,\"commitTime\":1e999}",
							 "null null"};
	for (const char *payload : invalid) {
		SignState kept = state;
		CHECK(parse(payload, kept) == ParseResult::Invalid, "refuses %s", payload);
		CHECK(kept.version == 42 && strcmp(kept.text, state.text) == 0, "leaves the state alone after %s", payload);
	}
}

static SignState change(uint32_t version, double commitTime = -1) {
	SignState state;
	state.version = version;
	state.hasCommitTime = commitTime >= 0;
	state.commitTime = state.hasCommitTime ? commitTime : 0;
	return state;
}

static void testDeviceRule() {
	const double t = 1764604800123.457;
	const ShownChange nothing; // just subscribed, just booted, or the sign was deleted
	const ShownChange five = shownChangeOf(change(5, t));
	CHECK(!five.none && five.version == 5 && five.hasCommitTime && five.commitTime == t, "a shown change is remembered");

	CHECK(shouldShow(change(1, t + 10), five), "a sign created again (version 1 after 5, committed later) is shown");
	CHECK(shouldShow(change(1), nothing), "a sign created again is shown after its delete, even without commitTime");
	CHECK(shouldShow(change(3, t - 1000), nothing), "a restore (an earlier commitTime) is shown first after subscribing");
	CHECK(shouldShow(change(2, t + 0.001), five), "a lower version with a higher commitTime is shown");
	CHECK(!shouldShow(change(9, t - 0.001), five), "a higher version with a lower commitTime is ignored");
	CHECK(!shouldShow(change(5, t), five), "the same commit is not shown again");

	CHECK(shouldShow(change(6), five), "no commitTime: a greater version is shown");
	CHECK(!shouldShow(change(5), five), "no commitTime: the same version is not shown again");
	CHECK(!shouldShow(change(4), five), "no commitTime: an older version is ignored");
	const ShownChange untimed = shownChangeOf(change(5));
	CHECK(!shouldShow(change(4, t), untimed), "the shown change has no commitTime: the version decides");
	CHECK(shouldShow(change(6, 1), untimed), "the shown change has no commitTime: a greater version is shown");

	SignState transient = change(1, t - 5000);
	transient.transient = true;
	CHECK(shouldShow(transient, five), "a transient message is always shown");

	// The same, as a sign meets them: parsed from the server's JSON.
	SignState first, late;
	CHECK(parse("{\"version\":7,\"commitTime\":1764604800123.457}", first) == ParseResult::Ok &&
			  parse("{\"version\":8,\"commitTime\":1764604800123.456}", late) == ParseResult::Ok,
		  "parses");
	CHECK(!shouldShow(late, shownChangeOf(first)), "a commit 1 µs earlier is ignored, whatever its version");
	CHECK(shouldShow(first, shownChangeOf(late)), "and one 1 µs later is shown");
}

static void testStatusPayloads() {
	char buffer[256];
	size_t n = formatBirth(buffer, sizeof buffer, 7, "marquee-esp32 1.0.0", -61, 64, 8);
	CHECK(n > 0 && strcmp(buffer, "{\"online\":true,\"shownVersion\":7,\"firmware\":\"marquee-esp32 1.0.0\",\"rssi\":-61,"
								  "\"width\":64,\"height\":8}") == 0,
		  "birth: %s", buffer);
	formatBirth(buffer, sizeof buffer, 0, "host", kNoRssi, 64, 8);
	CHECK(strstr(buffer, "\"rssi\":null") != nullptr, "no Wi-Fi: rssi null: %s", buffer);
	CHECK(formatReport(buffer, sizeof buffer, 8) > 0 && strcmp(buffer, "{\"online\":true,\"shownVersion\":8}") == 0,
		  "report: %s", buffer);
	char tiny[8];
	CHECK(formatReport(tiny, sizeof tiny, 8) == 0, "a buffer too small is reported, not overrun");
	CHECK(strcmp(kWillPayload, "{\"online\":false}") == 0, "will");
}

// Reads golden frames: "case <name>", "record <json>", "at <ms> size <w>x<h>", then <h> rows.
static void testGoldenFrames(const char *path) {
	std::ifstream file(path);
	CHECK(file.good(), "golden frames file %s can be read", path);
	std::string line, name;
	int cases = 0;
	while (std::getline(file, line)) {
		if (line.rfind("case ", 0) == 0) {
			name = line.substr(5);
			continue;
		}
		if (line.rfind("record ", 0) != 0) continue;
		std::string json = line.substr(7);
		std::string timing;
		std::getline(file, timing);
		unsigned long at = 0;
		unsigned width = 0, height = 0;
		CHECK(sscanf(timing.c_str(), "at %lu size %ux%u", &at, &width, &height) == 3, "timing line: %s", timing.c_str());
		SignState state;
		CHECK(parseSignRecord(json.c_str(), json.size(), state) == ParseResult::Ok, "golden record parses: %s", json.c_str());
		std::vector<uint8_t> pixels(static_cast<size_t>(width) * height);
		renderFrame(state, static_cast<uint32_t>(at), static_cast<uint16_t>(width), static_cast<uint16_t>(height), pixels.data());
		for (unsigned y = 0; y < height; ++y) {
			std::string expected, drawn;
			std::getline(file, expected);
			for (unsigned x = 0; x < width; ++x) drawn += pixels[y * width + x] ? '#' : '.';
			CHECK(drawn == expected, "case \"%s\" row %u\n  expected %s\n  drawn    %s", name.c_str(), y, expected.c_str(),
				  drawn.c_str());
		}
		++cases;
	}
	CHECK(cases >= 10, "golden frames file has its cases (%d)", cases);
	printf("golden frames: %d cases drawn\n", cases);
}

int main(int argc, char **argv) {
	if (argc != 2) {
		fprintf(stderr, "usage: %s <golden frames file>\n", argv[0]);
		return 2;
	}
	testParsing();
	testDeviceRule();
	testStatusPayloads();
	testGoldenFrames(argv[1]);
	printf("%d passed, %d failed\n", checks - failures, failures);
	return failures == 0 ? 0 : 1;
}
