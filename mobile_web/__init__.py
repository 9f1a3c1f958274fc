"""The phone messenger: QR codes that open a chat-like feedback page served by the hub."""
