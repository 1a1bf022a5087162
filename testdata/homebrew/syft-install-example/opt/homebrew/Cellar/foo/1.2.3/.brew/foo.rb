desc "A test Homebrew formula for Foo"
homepage "https://example.com/foo"
license "Apache 2.0"