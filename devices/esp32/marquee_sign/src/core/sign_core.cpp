#include "sign_core.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "font5x7.h"

namespace marquee {
namespace {

// Both are generated, from the font and from the rules; test/frames.test.ts checks the same on the TypeScript.
static_assert(kFirstChar == kFirstPrintableChar && kLastChar == kLastPrintableChar,
			  "the font draws exactly the characters the sign rules accept");

// A minimal reader for the flat JSON objects the server sends: enough for a LedSign record, no allocation.
class JsonReader {
  public:
	JsonReader(const char *text, size_t length) : p_(text), end_(text + length) {}

	void skipSpace() {
		while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
	}
	bool consume(char c) {
		skipSpace();
		if (p_ < end_ && *p_ == c) {
			++p_;
			return true;
		}
		return false;
	}
	bool consumeWord(const char *word) {
		skipSpace();
		size_t n = strlen(word);
		if (static_cast<size_t>(end_ - p_) < n || strncmp(p_, word, n) != 0) return false;
		p_ += n;
		return true;
	}
	bool atEnd() {
		skipSpace();
		return p_ == end_;
	}
	char peek() {
		skipSpace();
		return p_ < end_ ? *p_ : '\0';
	}

	// Reads a string into out (NUL-terminated, truncated to size - 1). Escapes outside ASCII become '?'.
	bool readString(char *out, size_t size, size_t *written = nullptr) {
		if (!consume('"')) return false;
		size_t n = 0;
		while (p_ < end_ && *p_ != '"') {
			char c = *p_++;
			if (c == '\\') {
				if (p_ >= end_) return false;
				char e = *p_++;
				switch (e) {
				case '"': case '\\': case '/': c = e; break;
				case 'b': c = '\b'; break;
				case 'f': c = '\f'; break;
				case 'n': c = '\n'; break;
				case 'r': c = '\r'; break;
				case 't': c = '\t'; break;
				case 'u': {
					if (end_ - p_ < 4) return false;
					unsigned code = 0;
					for (int i = 0; i < 4; ++i) {
						char h = *p_++;
						code <<= 4;
						if (h >= '0' && h <= '9') code |= static_cast<unsigned>(h - '0');
						else if (h >= 'a' && h <= 'f') code |= static_cast<unsigned>(h - 'a' + 10);
						else if (h >= 'A' && h <= 'F') code |= static_cast<unsigned>(h - 'A' + 10);
						else return false;
					}
					c = code < 0x80 ? static_cast<char>(code) : '?';
					break;
				}
				default: return false;
				}
			}
			if (out && n + 1 < size) out[n++] = c;
		}
		if (!consume('"')) return false;
		if (out && size > 0) out[n] = '\0';
		if (written) *written = n;
		return true;
	}

	bool readNumber(double &value) {
		skipSpace();
		const char *start = p_;
		if (p_ < end_ && (*p_ == '-' || *p_ == '+')) ++p_;
		while (p_ < end_ && ((*p_ >= '0' && *p_ <= '9') || *p_ == '.' || *p_ == 'e' || *p_ == 'E' || *p_ == '-' || *p_ == '+')) ++p_;
		if (p_ == start) return false;
		char buffer[40];
		size_t n = static_cast<size_t>(p_ - start);
		if (n >= sizeof buffer) return false;
		memcpy(buffer, start, n);
		buffer[n] = '\0';
		char *stop = nullptr;
		value = strtod(buffer, &stop);
		return stop == buffer + n;
	}

	// Skips any JSON value, nested or not.
	bool skipValue() {
		char c = peek();
		if (c == '"') return readString(nullptr, 0);
		if (c == '{' || c == '[') {
			char close = c == '{' ? '}' : ']';
			consume(c);
			if (consume(close)) return true;
			do {
				if (c == '{' && (!readString(nullptr, 0) || !consume(':'))) return false;
				if (!skipValue()) return false;
			} while (consume(','));
			return consume(close);
		}
		if (consumeWord("true") || consumeWord("false") || consumeWord("null")) return true;
		double ignored;
		return readNumber(ignored);
	}

	bool readBool(bool &value) {
		if (consumeWord("true")) return value = true, true;
		if (consumeWord("false")) return value = false, true;
		return false;
	}

  private:
	const char *p_;
	const char *end_;
};

bool readInteger(JsonReader &reader, double min, double max, uint32_t &out) {
	double value;
	if (!reader.readNumber(value) || value < min || value > max || value != static_cast<double>(static_cast<uint32_t>(value))) {
		return false;
	}
	out = static_cast<uint32_t>(value);
	return true;
}

int hexDigit(char c) {
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

bool parseColor(const char *text, SignState &out) {
	if (strlen(text) != 7 || text[0] != '#') return false;
	uint8_t channels[3];
	for (int i = 0; i < 3; ++i) {
		int high = hexDigit(text[1 + 2 * i]), low = hexDigit(text[2 + 2 * i]);
		if (high < 0 || low < 0) return false;
		channels[i] = static_cast<uint8_t>(high * 16 + low);
	}
	out.red = channels[0];
	out.green = channels[1];
	out.blue = channels[2];
	return true;
}

// A commitTime: any finite number (a double, see SignState), or null, which an older record may carry for none.
bool readCommitTime(JsonReader &reader, SignState &out) {
	if (reader.consumeWord("null")) {
		out.hasCommitTime = false;
		return true;
	}
	double value;
	if (!reader.readNumber(value) || !isfinite(value)) return false;
	out.hasCommitTime = true;
	out.commitTime = value;
	return true;
}

bool parseField(JsonReader &reader, const char *key, SignState &out) {
	uint32_t number = 0;
	if (strcmp(key, "text") == 0) return reader.readString(out.text, sizeof out.text);
	if (strcmp(key, "color") == 0) {
		char color[16];
		return reader.readString(color, sizeof color) && parseColor(color, out);
	}
	if (strcmp(key, "brightness") == 0) {
		return readInteger(reader, kBrightnessMin, kBrightnessMax, number) && ((out.brightness = static_cast<uint8_t>(number)), true);
	}
	if (strcmp(key, "speed") == 0) {
		return readInteger(reader, kSpeedMin, kSpeedMax, number) && ((out.speed = static_cast<uint8_t>(number)), true);
	}
	if (strcmp(key, "version") == 0) return readInteger(reader, 0, 4294967295.0, number) && ((out.version = number), true);
	if (strcmp(key, "commitTime") == 0) return readCommitTime(reader, out);
	if (strcmp(key, "power") == 0) return reader.readBool(out.power);
	if (strcmp(key, "transient") == 0) return reader.readBool(out.transient);
	if (strcmp(key, "effect") == 0) {
		char effect[16];
		if (!reader.readString(effect, sizeof effect)) return false;
		for (uint8_t index = 0; index < kEffectCount; ++index) {
			if (strcmp(effect, kEffectNames[index]) == 0) return out.effect = static_cast<Effect>(index), true;
		}
		return false;
	}
	return reader.skipValue(); // a field this firmware does not know (id, updatedAt, or a newer one)
}

constexpr size_t kCharPitch = kGlyphWidth + kGlyphSpacing; // columns per character, with its gap

// Column `column` of the text: glyph columns with blank columns between characters.
uint8_t textColumn(const char *text, size_t length, int32_t column) {
	if (column < 0) return 0;
	size_t index = static_cast<size_t>(column) / kCharPitch;
	size_t within = static_cast<size_t>(column) % kCharPitch;
	if (index >= length || within >= kGlyphWidth) return 0;
	uint8_t code = static_cast<uint8_t>(text[index]);
	if (code < kFirstChar || code > kLastChar) return kMissingGlyph[within];
	return kFont[(code - kFirstChar) * kGlyphWidth + within];
}

} // namespace

ParseResult parseSignRecord(const char *json, size_t length, SignState &out) {
	JsonReader reader(json, length);
	if (reader.atEnd()) return ParseResult::Deleted; // an empty payload: MQTT's way of clearing a retained message
	if (reader.consumeWord("null")) return reader.atEnd() ? ParseResult::Deleted : ParseResult::Invalid;
	SignState next;
	bool hasVersion = false;
	if (!reader.consume('{')) return ParseResult::Invalid;
	if (!reader.consume('}')) {
		do {
			char key[32]; // a buffer, not a rule: longer than any field name here, and a longer key is cut and matches none
			if (!reader.readString(key, sizeof key) || !reader.consume(':')) return ParseResult::Invalid;
			if (strcmp(key, "version") == 0) hasVersion = true;
			if (!parseField(reader, key, next)) return ParseResult::Invalid;
		} while (reader.consume(','));
		if (!reader.consume('}')) return ParseResult::Invalid;
	}
	if (!reader.atEnd() || !hasVersion) return ParseResult::Invalid;
	out = next;
	return ParseResult::Ok;
}

ShownChange shownChangeOf(const SignState &state) {
	ShownChange shown;
	shown.none = false;
	shown.version = state.version;
	shown.hasCommitTime = state.hasCommitTime;
	shown.commitTime = state.commitTime;
	return shown;
}

bool shouldShow(const SignState &incoming, const ShownChange &shown) {
	if (incoming.transient || shown.none) return true;
	if (incoming.hasCommitTime && shown.hasCommitTime) return incoming.commitTime > shown.commitTime;
	return incoming.version > shown.version;
}

size_t formatBirth(char *out, size_t size, uint32_t shownVersion, const char *firmware, int rssi, uint16_t width,
				   uint16_t height) {
	char signal[8] = "null";
	if (rssi != kNoRssi) snprintf(signal, sizeof signal, "%d", rssi);
	int n = snprintf(out, size,
					 "{\"online\":true,\"shownVersion\":%lu,\"firmware\":\"%s\",\"rssi\":%s,\"width\":%u,\"height\":%u}",
					 static_cast<unsigned long>(shownVersion), firmware, signal, width, height);
	return n > 0 && static_cast<size_t>(n) < size ? static_cast<size_t>(n) : 0;
}

size_t formatReport(char *out, size_t size, uint32_t shownVersion) {
	int n = snprintf(out, size, "{\"online\":true,\"shownVersion\":%lu}", static_cast<unsigned long>(shownVersion));
	return n > 0 && static_cast<size_t>(n) < size ? static_cast<size_t>(n) : 0;
}

void renderFrame(const SignState &state, uint32_t elapsedMs, uint16_t width, uint16_t height, uint8_t *pixels) {
	memset(pixels, 0, static_cast<size_t>(width) * height);
	if (!state.power) return;
	if (state.effect == Effect::Blink && (elapsedMs / blinkHalfPeriodMs(state.speed)) % 2 == 1) return;

	size_t length = strlen(state.text);
	int32_t textWidth = length == 0 ? 0 : static_cast<int32_t>(length * kCharPitch - kGlyphSpacing);
	int32_t offset;
	if (state.effect == Effect::Scroll) {
		uint32_t step = elapsedMs / scrollStepMs(state.speed);
		offset = static_cast<int32_t>(width) - static_cast<int32_t>(step % static_cast<uint32_t>(textWidth + width));
	} else {
		offset = textWidth <= width ? (width - textWidth) / 2 : 0;
	}
	int top = height > kGlyphHeight ? (height - kGlyphHeight) / 2 : 0;
	for (int32_t x = 0; x < width; ++x) {
		uint8_t bits = textColumn(state.text, length, x - offset);
		for (int row = 0; row < kGlyphHeight && top + row < height; ++row) {
			if ((bits >> row) & 1) pixels[(top + row) * width + x] = 1;
		}
	}
}

} // namespace marquee
