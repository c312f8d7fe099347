// Every setting of the Marquee sign firmware, in one place. Copy to your own config and fill it in;
// see ../README.md. Keep real credentials out of version control.
#pragma once
#include "src/core/sign_rules.h"

// Wi-Fi
#define MARQUEE_WIFI_SSID "your-network"
#define MARQUEE_WIFI_PASSWORD "your-wifi-password"

// The Marquee server's MQTT listener: 1883 without TLS (development), 8883 with TLS (production).
#define MARQUEE_MQTT_HOST "marquee.example.com"
#define MARQUEE_MQTT_PORT 8883
#define MARQUEE_USE_TLS 1
// The CA certificate that signed the server's certificate (PEM), checked on every TLS connection.
#define MARQUEE_CA_CERT                                                                                                \
	"-----BEGIN CERTIFICATE-----\n"                                                                                    \
	"...paste your CA certificate here...\n"                                                                           \
	"-----END CERTIFICATE-----\n"

// This sign's id (its LedSign record) and its device account.
#define MARQUEE_SIGN_ID "lobby"
#define MARQUEE_MQTT_USERNAME "device-lobby"
#define MARQUEE_MQTT_PASSWORD "device-password"

// Timing (docs/device-protocol.md): the protocol's, from sign_rules.h, the same the simulator uses. Write
// numbers here only to experiment.
#define MARQUEE_KEEPALIVE_SECONDS marquee::kKeepaliveSeconds
#define MARQUEE_HEARTBEAT_SECONDS marquee::kHeartbeatSeconds
#define MARQUEE_FIRST_RETRY_MS marquee::kFirstRetryMs
#define MARQUEE_MAX_RETRY_MS marquee::kMaxRetryMs

// The display: FC-16 style MAX7219 modules (8 × 8 LEDs each), chained. The default chain is as wide as the
// sign the panel previews (kDefaultWidth, generated from the sign rules); write your own count if yours differs.
#define MARQUEE_MAX7219_HARDWARE MD_MAX72XX::FC16_HW
#define MARQUEE_MAX7219_MODULES (marquee::kDefaultWidth / 8)
#define MARQUEE_PIN_CS 5 // VSPI: DIN = GPIO 23, CLK = GPIO 18, CS = GPIO 5
