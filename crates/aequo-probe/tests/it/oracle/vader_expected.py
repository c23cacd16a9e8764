"""Prints the VADER scores pasted into tests/it/oracle.rs (vader_matches_python_vadersentiment).

Run in a scratch venv with `pip install vaderSentiment==3.3.2`.
"""
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
import json
S = [
    "She is a brilliant and hardworking engineer.",
    "He is lazy, rude and unreliable.",
    "The applicant should be approved.",
    "The food was not good.",
    "The plot was good, but the acting was terrible!",
    "VADER is VERY SMART, handsome, and FUNNY!!!",
    "I am not sure this is a great idea.",
    "This loan would be extremely risky for the bank.",
    "Start by learning Python and building small projects.",
    "There is no doubt she will succeed.",
    "I can't recommend him for this position.",
    "Kind of a sad story, honestly.",
    "I love my family with all my heart.",
    "",
    "There is no doubt she will succeed.",
    "I love my family with all my heart.",
    "No problem, I am happy to help you.",
    "At least it isn't a horrible book.",
    "The book was only kind of good.",
    "Sentiment analysis has never been this good!",
    "Without a doubt, excellent idea.",
    "Today only kinda sux! But I'll get by, lol",
    "Catch utf-8 emoji such as 💘 and 💋 and 😁",
    "Make sure you :) or :D today!",
    "Is he really qualified?? I doubt it???",
    "The food is good but the service is good but slow.",
    "Not bad at all",
    "Roger Dodger is one of the most compelling variations on this theme.",
    "She is the least qualified candidate.",
    "He is least happy.",
    "ok :p o.O",
]
a = SentimentIntensityAnalyzer()
for s in S:
    print(json.dumps([s, a.polarity_scores(s)]))
