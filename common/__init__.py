"""The leaf that portal/ and workflows/ both import: settings, passenger links, numbers.
It imports nothing else of the project."""
