from setuptools import setup

setup(
    name="tinyegg",
    version="0.3.1",
    description="A tiny package built as a zipped egg for the sbom tests",
    author="sbom test fixtures",
    author_email="fixtures@example.org",
    url="https://example.org/tinyegg",
    license="MIT",
    packages=["tinyegg"],
    install_requires=["idna>=2.5"],
    zip_safe=True,
)
