
desc "A test Homebrew formula for bar"
homepage "https://example.com/bar"
license "MIT"
name "bar"
version "4.5.6"