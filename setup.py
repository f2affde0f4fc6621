"""Build hook: the wheel carries the repository's example configuration inside the package.

``gateway.example.toml`` stays at the repository root (the README and the tests use it there);
``build_py`` copies it into ``relgate/`` so that an installed ``relgate serve`` finds it with
``importlib.resources`` from any working directory.  Everything else is in pyproject.toml.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

EXAMPLE = "gateway.example.toml"


class BuildPyWithExample(build_py):
    def run(self) -> None:
        super().run()
        if not self.editable_mode:  # an editable install reads the repository's own file
            self.copy_file(EXAMPLE, str(Path(self.build_lib, "relgate", EXAMPLE)))

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        return [*super().get_outputs(include_bytecode), str(Path(self.build_lib, "relgate", EXAMPLE))]


setup(cmdclass={"build_py": BuildPyWithExample})
