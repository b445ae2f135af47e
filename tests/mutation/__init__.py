"""Mutation testing of the pure cores: ``python -m tests.mutation [module ...]`` (see __main__)."""
