# %% [markdown]
# # Lesson 1 — Python refresher
#
# **Vibrastic 101** · *Artificial Intelligence Crash Course* — the deck by Tirtadwipa Manunggal
# (Machine Learning Enthusiast | Backend Engineer), turned into lessons you can run.
#
# ## Overview
#
# The course has three parts:
#
# - Introduction (this lesson and the next: Python, then PyTorch)
# - All about Machine Learning (lessons 3 to 8)
# - Let's build our own (vibrastic's own autograd engine, which you meet along the way)
#
# ## Course Organization
#
# Each part mixes four kinds of work:
#
# - **Theory** — these lessons (`vibrastic lesson show N`, or the exported notebooks);
# - **Challenge** — small exercises with hidden tests (`vibrastic challenge start NAME`, or `check()`
#   cells at the end of a notebook lesson);
# - **Project** — the labs (`vibrastic lab run NAME`) and building our own engine;
# - **Question Answer** — bring your questions.

# %% [markdown]
# ## Refreshing
#
# Python main characteristics:
#
# - dynamic type system: a name gets its type from the value it holds, at run time;
# - interpreted (actually: compiled to bytecode, the `*.pyc` files, which the interpreter runs);
# - multi-paradigm: imperative, procedural, object-oriented, (functional), *literate*; do whatever
#   you want;
# - indentation is important! A block is whatever is indented under a line ending with `:`.
#
# Python is a high-level, dynamically typed multiparadigm programming language. Python code is often
# said to be almost like pseudocode, since it allows you to express very powerful ideas in very few
# lines of code while being very readable.
#
# ## Refreshing (cntd.)
#
# This course **assumes** that you have some programming experience at least:
#
# - Java (static type system, compiled, object-oriented, verbose)
# - C/C++ (static type system, compiled, multi-paradigm, low-level)
# - Matlab? R?
#
# In this *refreshing*, we're gonna review:
#
# - Basic Python: basic data types, containers, loops, functions and classes;
# - a PyTorch highlight (lesson 2).

# %% [markdown]
# ## Basic Python: Data types
#
# ### Numeric types
#
# Integers and floats work as you would expect from other languages:

# %%
x = 3; print(x, type(x))
y = 2.5; print(type(y))

# %%
print(x, x + 1, x - 1, x * 2, x ** 2)
print(y, y + 1, y * 2, y ** 2)

# %% [markdown]
# Python has no `x++`; use the augmented assignments:

# %%
x += 1  # added to 4
x *= 2  # multiplied to 8
print(x)

# %% [markdown]
# ### Boolean
#
# `True` and `False`, combined with English words rather than symbols (`and`, `or`, `not`).
# `!=` on two booleans is an exclusive or.

# %%
t, f, aa, bb = True, False, True, False
print(t, f, type(t))
print(t and f)  # Logical AND;
print(t or f)  # Logical OR;
print(not t)  # Logical NOT;
print(t != f)  # Logical XOR;
day = "Sunday"
if day == 'Sunday':
    print('Sleep!!!')
else:
    print('Go to work')

# %% [markdown]
# ### String
#
# Single or double quotes, `+` to concatenate, `%` for printf-style formatting, and many methods:

# %%
hello = 'hello'
world = "world"
print(hello, len(hello))
hw = hello + ' ' + world  # String concatenation
print(hw)
hw12 = '%s %s! your number is: %d' % (hello, world, 12)  # sprintf style string formatting
print(hw12)
s = "hello"
print(s.capitalize())
print(s.upper())
print(s.replace('l', '(ell)'))
print(' world '.strip())

# %% [markdown]
# ### List
#
# A list is Python's resizable array; it can hold elements of different types.

# %%
xs = [3, 1, 2]  # Create a list
print(xs, xs[2])
print(xs[-1])  # Count from the end of the list

# %%
xs[2] = 'foo'  # Lists can contain elements of different types
print(xs)

# %%
xs.append('bar')  # Add a new element to the end of the list
print(xs)

# %%
xs = xs + ['thing1', 'thing2']  # Adding lists (the += op works too)
print(xs)

# %%
x = xs.pop()  # Remove and return the last element of the list
print(x, xs)

# %% [markdown]
# ## Slicing
#
# `nums[start:stop]` takes the elements from index `start` up to, but not including, `stop`;
# either end may be left out, and negative indices count from the end.

# %%
nums = list(range(5))  # range is a built-in function (more on this later)
print(nums)
print(nums[2:4])  # Get a slice from index 2 to 4 (exclusive); prints "[2, 3]"
print(nums[2:])  # Get a slice from index 2 to the end; prints "[2, 3, 4]"
print(nums[:2])  # Get a slice from the start to index 2 (exclusive); prints "[0, 1]"
print(nums[:])  # Get a slice of the whole list; prints "[0, 1, 2, 3, 4]"
print(nums[:-1])  # Slice indices can be negative; prints "[0, 1, 2, 3]"
nums[2:4] = [8, 9]  # Assign a new sublist to a slice
print(nums)  # Prints "[0, 1, 8, 9, 4]"

# %% [markdown]
# ## Loops
#
# ### Basic loop

# %%
for i in range(10):
    print(i)

# %% [markdown]
# You can loop over the elements of a list like this:

# %%
animals = ['cat', 'dog', 'monkey']
for animal in animals:
    aa = animal + ' :)'
    print(aa)

# %% [markdown]
# If you want access to the index of each element within the body of a loop, use the built-in
# `enumerate` function:

# %%
animals = ['cat', 'dog', 'monkey']
for idx, animal in enumerate(animals):
    print('Item number %d is a %s' % (idx + 1, animal))

# %% [markdown]
# ## Challenge
#
# **Write loops to draw triangle!** For a height `h`, row `k` (from 1 to `h`) has `k` stars.
# With `h = 3`:
#
# ```text
# *
# **
# ***
# ```
#
# and with `h = 5`:
#
# ```text
# *
# **
# ***
# ****
# *****
# ```
#
# This is the challenge `triangle` (see the end of this lesson).

# %% [markdown]
# ## List comprehension
#
# When programming, frequently we want to transform one type of data into another.
# For example, consider the following code that computes square numbers:

# %%
nums, squares = [0, 1, 2, 3, 4], []
for x in nums:
    squares.append(x ** 2)
print(squares)

# %% [markdown]
# You can make this code simpler using a list comprehension:

# %%
nums = [0, 1, 2, 3, 4]
squares = [x ** 2 for x in nums]
print(squares)

# %% [markdown]
# List comprehensions can also contain conditions:

# %%
nums = [0, 1, 2, 3, 4]
even_squares = [x ** 2 for x in nums if x % 2 == 0]
print(even_squares)

# %% [markdown]
# ## Dictionaries
#
# A dictionary stores (key, value) pairs, similar to a `Map` in Java or an object in Javascript.
# You can use it like this:

# %%
d = {'cat': 'cute', 'dog': 'furry'}  # Create a new dictionary with some data
print(d['cat'])  # Get an entry from a dictionary; prints "cute"
print('cat' in d)  # Check if a dictionary has a given key; prints "True"
d['fish'] = 'wet'  # Set an entry in a dictionary
print(d['fish'])  # Prints "wet"

# %% [markdown]
# It is easy to iterate over the keys in a dictionary:

# %%
d = {'person': 2, 'cat': 4, 'spider': 8}
for animal in d:
    legs = d[animal]
    print('A %s has %d legs' % (animal, legs))

# %% [markdown]
# ## Basic Python : Functions
#
# Python functions are defined using the `def` keyword. For example:

# %%
def sign(x):
    if x > 0:
        return 'positive'
    elif x < 0:
        return 'negative'
    else:
        return 'zero'


for x in [-1, 0, 1]:
    print(sign(x))

# %% [markdown]
# ## Function (cntd.)
#
# We will often define functions to take optional keyword arguments, like this:

# %%
def hello(name, loud=False):
    if loud:
        print('HELLO, %s' % name.upper())
    else:
        print('Hello, %s!' % name)


hello('Bob')
hello('Fred', loud=True)

# %% [markdown]
# ## Challenge
#
# Write this as a Python function: $\Sigma_i i^2$, the sum of the squares $1^2 + 2^2 + \dots + i^2$.
#
# ```python
# def sigma(i):
#     ...  # bla bla bla
#
# sigma(2)  # will give 5 (= 1 + 4)
# ```
#
# This is the challenge `sigma` (see the end of this lesson).

# %% [markdown]
# ## Basic Python: Classes and object oriented programming
#
# - The syntax for defining classes in Python is straightforward.
# - Remember to include `self` as the first parameter of the class methods.

# %%
class Greeter():
    # Constructor
    def __init__(self, name):
        self.name = name  # Create an instance variable

    # Instance method
    def greet(self, loud=False):
        if loud:
            print('HELLO, %s!' % self.name.upper())
        else:
            print('Hello, %s' % self.name)


g = Greeter('Fred')  # Construct an instance of the Greeter class
g.greet()  # Call an instance method; prints "Hello, Fred"
g.greet(loud=True)  # Call an instance method; prints "HELLO, FRED!"

# %% [markdown]
# ## Inheritance
#
# A class can extend another: `Question` gets everything a `Greeter` has, and adds `ask`.
# `super().__init__(name)` runs the parent's constructor. (In the deck the constructor was spelled
# `___init__` and `ask` sat outside the class, so `q.ask()` failed; see the errata.)

# %%
class Question(Greeter):
    def __init__(self, name):
        super(Question, self).__init__(name)

    def ask(self):
        print('Are you %s?' % self.name)


q = Question('Fred')
q.ask()
q.greet()  # inherited from Greeter

# %% [markdown]
# ## Basic Python: Import statement
#
# - We have seen already the import statement in action.
# - Python has a huge number of libraries included with the distribution.
# - Most of these variables and functions are not accessible from a normal Python interactive
#   session.
# - Instead, you have to import them.
# - You can also make your own module: any `something.py` file is a module named `something`.
# - Browse here for third-party packages: https://pypi.org/

# %%
import math
from statistics import mean

print(math.pi, math.sqrt(16))
print(mean([1, 2, 3, 4]))

# %% [markdown]
# Your own module: write a file, then import it (the `%%writefile` challenge cells of the notebook
# lessons work the same way).

# %%
from pathlib import Path

Path("greetings.py").write_text("def shout(word):\n    return word.upper() + '!'\n")
import greetings

print(greetings.shout('import works'))
