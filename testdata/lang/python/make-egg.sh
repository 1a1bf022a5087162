#!/bin/sh
# Rebuilds tinyegg-0.3.1-py3.11.egg (a zipped egg, EGG-INFO/PKG-INFO inside) from egg-src/
# with setuptools' `setup.py bdist_egg`, and EXPECTED-tinyegg.egg.txt: `unzip -l` of it and
# its PKG-INFO and requires.txt as unzip prints them. Needs python3 with setuptools (< 80, which still has
# bdist_egg) and unzip; no network.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$here/egg-src/." "$work/"
cd "$work"
SOURCE_DATE_EPOCH=1700000000 python3 setup.py -q bdist_egg --dist-dir "$work/dist" >/dev/null 2>&1
egg=$(ls "$work"/dist/*.egg)
name=$(basename "$egg")
cp "$egg" "$here/$name"
{
    echo "# unzip -l $name; unzip -p $name EGG-INFO/PKG-INFO ($(python3 -c 'import setuptools; print("setuptools", setuptools.__version__)'))"
    unzip -l "$egg" | sed "s#$work/dist/##"
    echo "--- EGG-INFO/PKG-INFO"
    unzip -p "$egg" EGG-INFO/PKG-INFO
    echo "--- EGG-INFO/requires.txt"
    unzip -p "$egg" EGG-INFO/requires.txt
} > "$here/EXPECTED-$name.txt"
echo "$name"
