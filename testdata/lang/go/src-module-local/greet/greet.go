package greet

// Hello is what the fixture program prints.
func Hello() string { return "hello from a local module" }
