package main

func main() {
	println("hello from a file build")
}
