"""Test helpers shared by the test packages: a scripted vendor endpoint on loopback (:mod:`.vendor_server`)."""
