// The firmware core as a sign on a PC: libmosquitto instead of PubSubClient, standard output instead of LEDs.
// It runs the same cycle as the ESP32 sketch (docs/device-protocol.md): retained will, subscribe, birth,
// device rule, report. Prints one JSON line per event, for people and for test/firmware.test.ts.
//
//   host_sign --host 127.0.0.1 --port 1883 --id lobby [--username U] [--keepalive S]
//   (the password comes from MARQUEE_MQTT_PASSWORD, never the command line)
#include <mosquitto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <string>
#include <vector>

#include "sign_core.h"

using namespace marquee;

namespace {

constexpr char kFirmware[] = "marquee-host 1.0.0";
static_assert(sizeof kFirmware - 1 <= kFirmwareMaxLength, "the server refuses a longer firmware name");
// A PC has no matrix: it reports the size the panel previews.
constexpr uint16_t kWidth = kDefaultWidth;
constexpr uint16_t kHeight = kDefaultHeight;

struct Sign {
	std::string id;
	std::string signTopic;
	std::string statusTopic;
	SignState shown;
	uint32_t shownVersion = 0; // the version of what is drawn, as reported; kept across reconnects and deletes
	ShownChange shownChange;   // the stored change shown since this subscription began: what the rule compares
};

volatile sig_atomic_t stopping = 0;
volatile int goodbyeMid = -1;
volatile bool goodbyeAcknowledged = false;

void onSignal(int) { stopping = 1; }

void onPublish(mosquitto *, void *, int mid) {
	if (mid == goodbyeMid) goodbyeAcknowledged = true;
}

void publishStatus(mosquitto *client, const Sign &sign, const char *payload) {
	mosquitto_publish(client, nullptr, sign.statusTopic.c_str(), static_cast<int>(strlen(payload)), payload, 1, true);
}

// The first row of the frame, as text, so a test can see what would be drawn.
std::string firstRow(const SignState &state) {
	std::vector<uint8_t> pixels(kWidth * kHeight);
	renderFrame(state, 0, kWidth, kHeight, pixels.data());
	std::string row;
	for (uint16_t x = 0; x < kWidth; ++x) row += pixels[x] ? '#' : '.';
	return row;
}

void onConnect(mosquitto *client, void *context, int result) {
	auto *sign = static_cast<Sign *>(context);
	if (result != 0) {
		printf("{\"event\":\"problem\",\"problem\":\"connect refused (%d)\"}\n", result);
		fflush(stdout);
		return;
	}
	// A new subscription: its first message is the server's current truth, shown whatever was shown before.
	// Messages are handled on this same thread, so none can arrive before this.
	sign->shownChange = ShownChange();
	mosquitto_subscribe(client, nullptr, sign->signTopic.c_str(), 1);
	char birth[192];
	if (formatBirth(birth, sizeof birth, sign->shownVersion, kFirmware, kNoRssi, kWidth, kHeight)) {
		publishStatus(client, *sign, birth);
	}
	printf("{\"event\":\"connected\",\"id\":\"%s\"}\n", sign->id.c_str());
	fflush(stdout);
}

void onMessage(mosquitto *client, void *context, const mosquitto_message *message) {
	auto *sign = static_cast<Sign *>(context);
	SignState incoming;
	ParseResult result = parseSignRecord(static_cast<const char *>(message->payload),
										 static_cast<size_t>(message->payloadlen), incoming);
	if (result == ParseResult::Deleted) {
		sign->shown = SignState();
		sign->shown.power = false;
		sign->shownChange = ShownChange(); // so the sign created again is shown, from version 1
		printf("{\"event\":\"deleted\",\"id\":\"%s\"}\n", sign->id.c_str());
	} else if (result == ParseResult::Invalid) {
		printf("{\"event\":\"problem\",\"problem\":\"unreadable sign record\"}\n");
	} else if (!shouldShow(incoming, sign->shownChange)) {
		char commitTime[32] = "null";
		if (incoming.hasCommitTime) snprintf(commitTime, sizeof commitTime, "%.17g", incoming.commitTime);
		printf("{\"event\":\"ignored\",\"version\":%lu,\"commitTime\":%s}\n", static_cast<unsigned long>(incoming.version),
			   commitTime);
	} else {
		sign->shown = incoming;
		// The text is printable ASCII without quotes or backslashes only by the sign rules; escape them anyway.
		std::string text;
		for (const char *c = incoming.text; *c; ++c) {
			if (*c == '"' || *c == '\\') text += '\\';
			text += *c;
		}
		printf("{\"event\":\"showing\",\"id\":\"%s\",\"version\":%lu,\"transient\":%s,\"text\":\"%s\",\"row0\":\"%s\"}\n",
			   sign->id.c_str(), static_cast<unsigned long>(incoming.version), incoming.transient ? "true" : "false",
			   text.c_str(), firstRow(incoming).c_str());
		if (!incoming.transient) {
			sign->shownChange = shownChangeOf(incoming);
			sign->shownVersion = incoming.version;
			char report[64];
			if (formatReport(report, sizeof report, sign->shownVersion)) publishStatus(client, *sign, report);
		}
	}
	fflush(stdout);
}

const char *argument(int argc, char **argv, const char *name, const char *fallback) {
	for (int i = 1; i + 1 < argc; ++i) {
		if (strcmp(argv[i], name) == 0) return argv[i + 1];
	}
	return fallback;
}

} // namespace

int main(int argc, char **argv) {
	Sign sign;
	sign.id = argument(argc, argv, "--id", "");
	if (sign.id.empty()) {
		fprintf(stderr, "usage: host_sign --id <sign> [--host H] [--port P] [--username U] [--keepalive S]\n");
		return 2;
	}
	sign.signTopic = "LedSign/" + sign.id;
	sign.statusTopic = "SignStatus/" + sign.id;
	const char *host = argument(argc, argv, "--host", "127.0.0.1");
	int port = atoi(argument(argc, argv, "--port", "1883"));
	const char *keepaliveArgument = argument(argc, argv, "--keepalive", nullptr);
	int keepalive = keepaliveArgument ? atoi(keepaliveArgument) : kKeepaliveSeconds;
	const char *username = argument(argc, argv, "--username", nullptr);
	const char *password = getenv("MARQUEE_MQTT_PASSWORD");

	signal(SIGINT, onSignal);
	signal(SIGTERM, onSignal);
	mosquitto_lib_init();
	std::string clientId = "marquee-sign-" + sign.id;
	mosquitto *client = mosquitto_new(clientId.c_str(), true, &sign);
	if (!client) return 1;
	if (username) mosquitto_username_pw_set(client, username, password);
	mosquitto_will_set(client, sign.statusTopic.c_str(), static_cast<int>(strlen(kWillPayload)), kWillPayload, 1, true);
	mosquitto_connect_callback_set(client, onConnect);
	mosquitto_message_callback_set(client, onMessage);
	mosquitto_publish_callback_set(client, onPublish);
	// The protocol's backoff, without jitter (libmosquitto has none), in the whole seconds libmosquitto takes.
	static_assert(kFirstRetryMs % 1000 == 0 && kMaxRetryMs % 1000 == 0, "libmosquitto waits whole seconds");
	mosquitto_reconnect_delay_set(client, kFirstRetryMs / 1000, kMaxRetryMs / 1000, true);
	if (mosquitto_connect(client, host, port, keepalive) != MOSQ_ERR_SUCCESS) {
		fprintf(stderr, "cannot connect to %s:%d\n", host, port);
		return 1;
	}
	mosquitto_loop_start(client);
	while (!stopping) {
		struct timespec pause = {0, 50 * 1000 * 1000};
		nanosleep(&pause, nullptr);
	}
	// A clean stop sends no will: say offline first, and wait (2 s at most) until the server has it.
	int mid = 0;
	if (mosquitto_publish(client, &mid, sign.statusTopic.c_str(), static_cast<int>(strlen(kWillPayload)), kWillPayload, 1,
						  true) == MOSQ_ERR_SUCCESS) {
		goodbyeMid = mid;
		for (int waited = 0; !goodbyeAcknowledged && waited < 200; ++waited) {
			struct timespec pause = {0, 10 * 1000 * 1000};
			nanosleep(&pause, nullptr);
		}
	}
	mosquitto_disconnect(client);
	mosquitto_loop_stop(client, false);
	mosquitto_destroy(client);
	mosquitto_lib_cleanup();
	return 0;
}
