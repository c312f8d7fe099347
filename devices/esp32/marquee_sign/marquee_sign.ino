// Marquee sign firmware for an ESP32 driving a MAX7219 LED matrix.
//
// Only the hardware glue is here: Wi-Fi, MQTT (PubSubClient) and the display (MD_MAX72XX). Everything else
// (reading a sign record, the device rule, status payloads, the font and the frame for each moment) is the
// portable core in src/core, tested on a PC against the server's own renderer.
// Nothing is kept in flash: on every connect the server sends the sign's current record, which the device rule
// always shows, so a version kept from before a restart could only block it (a sign created again restarts at 1).
// The protocol is docs/device-protocol.md; settings are in config.h.
#include <MD_MAX72xx.h>
#include <PubSubClient.h>
#include <SPI.h>
#include <WiFi.h>
#include <WiFiClientSecure.h>

#include "config.h"
#include "src/core/sign_core.h"

using marquee::SignState;

static const char kFirmware[] = "marquee-esp32 1.0.0";
static_assert(sizeof kFirmware - 1 <= marquee::kFirmwareMaxLength, "the server refuses a longer firmware name");
static const uint16_t kModuleLeds = 8; // a MAX7219 module is 8 × 8 LEDs
static const uint16_t kWidth = MARQUEE_MAX7219_MODULES * kModuleLeds;
static const uint16_t kHeight = kModuleLeds;
static_assert(kWidth >= marquee::kWidthMin && kWidth <= marquee::kWidthMax, "the server refuses this width");

#if MARQUEE_USE_TLS
static WiFiClientSecure network;
#else
static WiFiClient network;
#endif
static PubSubClient mqtt(network);
static MD_MAX72XX display(MARQUEE_MAX7219_HARDWARE, MARQUEE_PIN_CS, MARQUEE_MAX7219_MODULES);

static const String signTopic = String("LedSign/") + MARQUEE_SIGN_ID;
static const String statusTopic = String("SignStatus/") + MARQUEE_SIGN_ID;
static const String clientId = String("marquee-sign-") + MARQUEE_SIGN_ID;

static SignState shown;
static uint32_t shownVersion = 0;  // the version drawn, as reported; kept across reconnects and deletes
static marquee::ShownChange shownChange; // the stored change shown since this subscription: what the rule compares
static uint32_t shownSince = 0;    // millis() when the current record started: the effect's clock
static uint32_t retryDelay = MARQUEE_FIRST_RETRY_MS;
static uint32_t nextAttempt = 0;
static uint32_t lastHeartbeat = 0;
static uint8_t frame[kWidth * kHeight];
static uint8_t drawn[kWidth * kHeight];

static void publishStatus(const char *payload) {
	// PubSubClient publishes at QoS 0; retained, so the server stores it and the panel sees it.
	mqtt.publish(statusTopic.c_str(), payload, true);
}

static void onMessage(char *topic, byte *payload, unsigned int length) {
	if (signTopic != topic) return;
	SignState incoming;
	marquee::ParseResult result = marquee::parseSignRecord(reinterpret_cast<const char *>(payload), length, incoming);
	if (result == marquee::ParseResult::Deleted) {
		shown = SignState();
		shown.power = false;
		shownChange = marquee::ShownChange(); // so the sign created again is shown, from version 1
		return;
	}
	if (result != marquee::ParseResult::Ok || !marquee::shouldShow(incoming, shownChange)) return;
	shown = incoming;
	shownSince = millis();
	if (incoming.transient) return;
	shownChange = marquee::shownChangeOf(incoming);
	shownVersion = incoming.version;
	char report[64];
	if (marquee::formatReport(report, sizeof report, shownVersion)) publishStatus(report);
}

static bool connectMqtt() {
	bool connected = mqtt.connect(clientId.c_str(), MARQUEE_MQTT_USERNAME, MARQUEE_MQTT_PASSWORD, statusTopic.c_str(), 1,
								  true, marquee::kWillPayload);
	if (!connected) return false;
	// A new subscription: its first message is the server's current truth, shown whatever was shown before.
	// PubSubClient delivers messages only from mqtt.loop(), so none can arrive before this.
	shownChange = marquee::ShownChange();
	mqtt.subscribe(signTopic.c_str(), 1); // the server answers with the sign's current record at once
	char birth[192];
	if (marquee::formatBirth(birth, sizeof birth, shownVersion, kFirmware, WiFi.RSSI(), kWidth, kHeight)) {
		publishStatus(birth);
	}
	lastHeartbeat = millis();
	return true;
}

static void keepConnected() {
	if (WiFi.status() != WL_CONNECTED || mqtt.connected() || millis() < nextAttempt) return;
	if (connectMqtt()) {
		retryDelay = MARQUEE_FIRST_RETRY_MS;
		return;
	}
	// Back off: double the wait up to the maximum, with jitter so a fleet spreads out.
	const uint32_t spread = marquee::kRetryJitterPercent;
	uint32_t jittered = retryDelay * (100 - spread + esp_random() % (2 * spread + 1)) / 100;
	nextAttempt = millis() + jittered;
	retryDelay = min<uint32_t>(retryDelay * 2, MARQUEE_MAX_RETRY_MS);
}

static void draw() {
	marquee::renderFrame(shown, millis() - shownSince, kWidth, kHeight, frame);
	if (memcmp(frame, drawn, sizeof frame) == 0) return;
	memcpy(drawn, frame, sizeof frame);
	// MAX7219 is one colour: brightness (from 0, as a percent) becomes its intensity 0-15; colour is ignored.
	static_assert(marquee::kBrightnessMin == 0, "brightness maps to intensity from 0");
	display.control(MD_MAX72XX::INTENSITY, shown.brightness * MAX_INTENSITY / marquee::kBrightnessMax);
	display.control(MD_MAX72XX::UPDATE, MD_MAX72XX::OFF);
	for (uint16_t y = 0; y < kHeight; ++y) {
		for (uint16_t x = 0; x < kWidth; ++x) {
			// MD_MAX72XX numbers columns from the right-hand end of the chain.
			display.setPoint(y, kWidth - 1 - x, frame[y * kWidth + x] != 0);
		}
	}
	display.control(MD_MAX72XX::UPDATE, MD_MAX72XX::ON);
}

void setup() {
	Serial.begin(115200);
	display.begin();
	WiFi.mode(WIFI_STA);
	WiFi.setAutoReconnect(true);
	WiFi.begin(MARQUEE_WIFI_SSID, MARQUEE_WIFI_PASSWORD);
#if MARQUEE_USE_TLS
	network.setCACert(MARQUEE_CA_CERT);
#endif
	mqtt.setServer(MARQUEE_MQTT_HOST, MARQUEE_MQTT_PORT);
	mqtt.setBufferSize(1024); // a sign record is under 512 bytes; PubSubClient's default is 256
	mqtt.setKeepAlive(MARQUEE_KEEPALIVE_SECONDS);
	mqtt.setCallback(onMessage);
}

void loop() {
	keepConnected();
	mqtt.loop();
	if (mqtt.connected() && millis() - lastHeartbeat >= MARQUEE_HEARTBEAT_SECONDS * 1000UL) {
		char report[64];
		if (marquee::formatReport(report, sizeof report, shownVersion)) publishStatus(report);
		lastHeartbeat = millis();
	}
	draw();
	delay(10);
}
