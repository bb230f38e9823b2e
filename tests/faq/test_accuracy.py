"""Accuracy on the public sets: top-1 topic and direct answers with the right topic.

faq_dev.tsv was written from the topic spec before tuning and then tuned on; faq_unseen.tsv was
written after tuning and passed on its first measurement (not tuned on until round two).
faq_unseen2.tsv was written before the knowledge base was read (first measured 164/182; without
the ten questions that turned out to equal examples, 154/172) and then tuned on; faq_unseen3.tsv
was written after that round and passed on its one measurement (118/128, 116/126 without two
such questions; not tuned on until round two).

Issue 17 (answer entries): faq_max.tsv (MAX-era questions, long messages, `a|b` labels) and
faq_colloquial.tsv (slangy short questions) were written with the entries and tuned on,
together with faq_eval, faq_dev and faq_unseen2.
faq_heldout17.tsv was written before any tuning of that round and measured once at the end:
top-1 114/128 (89.1 %), top-2 118/128, and 103 of its 118 questions with a topic answered
directly with a right topic (87.3 %); 11 of its questions turned out to equal questions of
older sets (without them: 104/117 and 96/111). Below the targets; its misses were not
printed in round one. (A later speed tweak — clauses of long messages scored without the
fuzzy pass — was neutral on the tuning sets but gave 111/128 here; it was reverted, so this set
has been looked at twice, and the figures above are for the engine as it was then.) Questions naming MAX beside another subject
(«веб версия макса») accept both topics (`max|web_version`) in the older sets.

Round two (h9): faq_heldout17b.tsv (138 questions, 62 naming MAX, 14 long messages, 10 `none`)
was written from the topic spec and committed before the engine was touched, then measured
once at the end; its misses are never printed: do not tune on it. The older held-out sets
(faq_heldout17, faq_unseen3, faq_holdout, faq_unseen) were tuned on in that round, together
with faq_probe17.tsv (45 questions written during the round; first measured 41/45 top-1,
40/43 direct with a right topic, then tuned on). Their floors below are what they reach after
that round, rounded down.

Round three (h21): faq_probe21.tsv (88 questions written from the topic spec and the domain
facts before that round's tuning; first measured 81/88 top-1, 78/85 direct with a right topic)
was then tuned on with the older sets. faq_heldout17b.tsv and faq_unseen3.tsv were kept out of
that tuning and looked at only as aggregate figures (heldout17b: 128/138 → 129/138 top-1,
116/128 → 119/128 direct right; unseen3: 122/126 → 123/126, 107/110 stayed).

A blind set before round four: faq_heldout17c.tsv (160 questions, 16 `none`, alternative labels) was written
by someone who never saw the knowledge base, the examples or the engine, and measured once on the engine
after round three: top-1 137/160 (85.6 %), top-2 147/160, direct answers with a right topic 121/144
(84.0 %). Below the targets; its misses were not printed.

Round four (h29): faq_heldout17c.tsv became a tuning set. Its misses were read by kind — paraphrases
the synonym data lacked («прицепить» журнал, «симка», «напоминалка», «свежие цифры»), side words that
pulled a question away («отвечаю родителю» read as «ответственный», «по порядку» as a subject), long
messages whose question sat in the story — and fixed in the synonym data and the off-topic phrases,
never by adding its questions as examples; a near-exact tie between two topics now asks, and in a
message that trails on after its «?» the clause with the «?» is the question. After it: top-1 151/160
(94.4 %), direct right 134/144 (93.1 %); no older set lost a question or a direct answer.
faq_heldout17b.tsv, never tuned on, stayed at 129/138 and 119/128.
A small local model was evaluated and not taken: see benchmarks/bench_faq.py (USE multilingual in pure
numpy, the only multilingual sentence model found shipped inside a PyPI wheel that runs on Python 3.11
without torch: start 1.2 s, median 7.5 ms > 5 ms, nearest-example top-1 251/272 on faq_eval; as a
fallback for «unknown»/«choice» replies it changed nothing on heldout17b, unseen3 or probe21).

Round four's blind set: faq_heldout17d.tsv (200 questions, 18 `none`, ~45 % naming MAX, written by
someone who saw only the topic spec and the domain facts) was kept away from round four's tuner and
measured once after it: top-1 169/200 (84.5 %), top-2 185/200, direct answers with a right topic
152/182 (83.5 %); three of its short questions equal examples. Round four's gain on
faq_heldout17c (85.6 % → 94.4 %, tuned on) did not carry over to unseen wording; its misses were
not printed.

Round five (hE): faq_heldout17d.tsv became a tuning set. Its misses were read by kind and fixed
in ways meant to carry over, never by adding its questions: a phrase synonym matches whichever
one-word synonyms its words come in («к своей оу» = «к своей школе»); a canonical form may keep
several words («не вижу своей школы» → «найти школа»); in a message that marks its questions with
«?», a clause with a relative «где»/«что» tells the story, «какой-то» is not a question word, a comma
before a subordinate «что»/«чтобы»/«если»/«который» does not cut the question, and a last clause with
no content word («как быть?») asks about the whole story; synonym data (deleting, proving a role,
deadlines, invalid or expired links, guardians, online meetings, monitoring criteria, stored
correspondence, «школьный профиль», «вкладка», «меня уволят») and a few entry phrasings for MAX-era
questions. After it: faq_heldout17d 169 → 185/200 top-1 (92.5 %), top-2 185 → 192, direct answers
with a right topic 152 → 170/182 (93.4 %); faq_heldout17c 151 → 155/160, 134 → 138/144;
faq_heldout17b (aggregate figures only) 129 → 131/138, 119 → 121/128; faq_unseen 112 → 113/115;
no set lost a question or a direct answer.

Round six (hE2): faq_heldout17e.tsv (200 questions written blind; 178/200 top-1 before round five,
179/200 after, 160/180 direct right) became a tuning set. Its misses were read by kind and fixed in
ways meant to carry over, never by adding its questions: an ambiguous word form takes the reading the
knowledge base knows («перешли» → «перейти», never a function-word or parenthetical reading such as
«чем», «видимо»); «данные» is data, not «дать»; a pronoun no topic uses («никто») no longer lowers
coverage; a last question that points back («как это настроить?») asks about the clause that states
the want («хочу, чтобы писала только я»); a question after a hedge («Может, нужно создать классы?»)
guesses at a cause, so the problem told before it asks too; «видеть» weighs as usual (seeing a chat
or a school is not privacy); school shifts, personal mail and page covers are off-topic; synonym data
for who-writes-in-a-chat, «сделали меня сотрудником», a school missing from the list, activation,
ratings of the worst schools, «в школе и в колледже»; a few phrasings (MAX vs VK, «засчитались ли
мои», «чем плох телеграм», classes for a new school year). After it: faq_heldout17e 179 → 189/200
top-1 (94.5 %), top-2 187 → 194, direct right 160 → 168/180 (93.3 %); faq_heldout17d 185 → 188/200,
170 → 172/182; faq_heldout17c 155 → 156/160; faq_heldout17b (aggregate figures only) 131 → 132/138,
121 → 122/128; faq_unseen3 direct 107 → 108/110; no set lost a question or a direct answer.

faq_heldout17f.tsv (200 questions, written blind during round six by someone who never saw the
knowledge base, with new situations: substitute teachers, psychologists, librarians, part-timers) scored
167/200 top-1 (83.5 %), 144/180 direct right (80 %) both before and after round six: the rounds of
tuning on a set raise that set and barely move questions no one has seen. The 95 % target needs
another method than more synonyms and phrasings.

Round seven (hF): a learned topic classifier (bot/faq/learned.py: logistic regression over lemma
uni+bigrams and character 2–5-grams, trained at start from the data files' phrasings) lifts a topic's
score toward its probability (LEARNED_WEIGHT in bot/faq/tuning.py); the blend and its weight were chosen
on the tuning sets only, and three thin entries got eight phrasings in new words. faq_heldout17b,
faq_heldout17e and faq_heldout17f were scored only (misses never printed): top-1 132 → 133/138,
189 → 187/200, 167 → 180/200; direct right 122 → 123/128, 168 → 169/180, 144 → 160/180. On the blind
faq_heldout17f that is +6.5 points top-1 and +8.9 points direct right, where six rounds of synonyms
and phrasings had moved it by none. Three floors went down by one question each: probe21
(«родители звонят мне в макс ночью, как ограничить звонки» now `calls` instead of a privacy/calls
choice), unseen (a choice instead of a direct `my_status`) and heldout17e (two questions, not looked at).

Round eight (hF2): faq_heldout17k.tsv (200 questions, 20 `none`, about 40 % of the topical ones naming
MAX, long stories, slang and misspellings) was written from the topic spec and the domain facts before
any change and measured on main: 190/200 top-1, 170/180 direct right. faq_heldout17f.tsv became a
tuning set (its misses were read by confusion, none of its questions added). The blend was
cross-validated over the knowledge base's own phrasings (benchmarks/cv_faq.py): held-out phrasings
favour a heavier blend (weight 0.7, C 30: top-1 88.3 → 89.5 %, fewer off-topic ones handed off),
but on the real-question sets it lost as much as it won (faq_heldout17f 180 → 178 even with the
classifier made less sure of questions with words it does not know, to keep the hand-off) and broke
the floors of four sets, so LEARNED_WEIGHT and LEARNED_C stay. What changed: CHOOSE_RATIO
0.95 → 0.97, with a question of one content word that carries no intent («профиль») still offered as a
choice (VAGUE_CHOOSE_RATIO); and entry phrasings in new words: 195 were written for 63 entries, but
each entry's batch moved the word weights of the lexical score and most cost the tuning sets more than
they gave; the twelve batches (40 phrasings) that lowered no set were kept, six phrasings reworded
(three were too close to faq_heldout17k, three broke the hand-off or the «профиль» choice). After it:
faq_heldout17e 187 → 190/200, 169 → 171/180; faq_heldout17f 180 → 182/200, 160 → 163/180;
faq_heldout17k (scored only) 190 → 192/200, 170 → 172/180.
faq_heldout17k was written by the author of those phrasings, so it is not wholly independent of them.

Round nine (hF3): why more phrasings made the lexical score worse. The soft document frequency (a
topic using a word in passing counts as less than one use) compared a topic's count of the word
with the largest count any topic had: a topic that gained phrasings raised those peaks and moved
the weights (IDF) of words in every other topic. It now compares the share of each topic's texts
that use the word (on round eight's data, tripling one topic's phrasings moved an IDF by up to 31 %, now 12 %): it left
the tuning sets as they were. The other losses were near-ties tipped by single phrasings (a new
phrasing nearly equal to a tuning question of another topic, «кто может удалять участников из
группы» taking «…видят участники группы»), and by the classifier, which gives a topic with more
phrasings more of the probability; scoring the topic bag by shares, the mean of the two closest
phrasings instead of the closest, a gram bag by shares and balanced class weights in the classifier
were tried and did not help. Of round eight's 155 remaining phrasings, 134 were added (five reworded:
four stood close to tuning questions, one made «регистрация» too common to name a question alone);
six entries' batches still cost more than they gave (register.start, register.app, privacy.delete,
contact.support, role.wrong, role.confirm) and were left out. Before the end of a message without
«?», a part whose only question word is «когда» tells when something happened («ситуация: когда
регистрировалась, видимо нажала не то, … как исправить») and is not scored as the question (neutral
on the sets before the phrasings). Over the tuning sets top-1 2282 → 2288/2348 and direct right
2042 → 2048/2100: faq_heldout17c 156 → 157/160, 140 → 141/144; faq_heldout17d 190 → 192/200,
174 → 177/182; faq_heldout17e 190 → 194/200, 171 → 176/180; faq_heldout17f 182 → 183/200 but
163 → 162/180; faq_probe17 43 → 44/45, 42 → 43/43; one question or direct answer lost in each of
faq_dev, faq_max, faq_unseen3 and (aggregate only) faq_heldout17b. faq_heldout17k (scored only):
192 → 193/200, 172/180.

Round ten (hT2): faq_heldout17k.tsv and faq_heldout17j.tsv became tuning sets (measured on main
first: 17k 193/200 top-1, 172/180 direct right; 17j 201/220, 179/195). The misses of all tuning
sets were read by cause and fixed in ways meant to carry over, none of their questions added:
the classifier's off-topic class now damps the bundled topics by a share (OFFTOPIC_LEARNED_WEIGHT;
«справка с места работы» was tied to a topic by one school word; a school's own topics are not
damped, and ratios, so choices, stay); the classifier sees the data's heavy intent words (weights
above 1) once more, as the lexical score weighs them (web.max.ru asking for a QR code is the web
version); «роль» weighs 1.15 (a role question naming the administrator), «администратор» 0.8,
«начать» 0.9 («с чего начать» asks about whatever the message is about); a clause of side words
refers back to the story only when a vague word (weight 0.75–1) is among them, not a platform's
name («…, что за МАКС такой и что теперь будет со Сферумом?»); a clause that points back («как дать
им ссылку на звонок») is scored at 0.8 instead of skipped; synonym data for other services (zoom,
youtube, vpn) and enrolment in the first class (off-topic), «отметили как …» (role), «у меня
лично» (one's own figures), the academic-cap badge (1.5, like «веб»), «опять/ещё раз/повторно», a
call back (contact), «ставится» (installing), colloquial names of subject teachers, a link to a call
(calls), «по ошибке» (by mistake, not an error shown); two role.confirm phrasings in new words.
Before → after: faq_heldout17j 201 → 211/220 top-1, 179 → 187/195 direct right; faq_heldout17k
193 → 195/200, 172 → 173/180; faq_heldout17f 183 → 188/200, 162 → 168/180; faq_heldout17e
194 → 195/200, 176 → 177/180; faq_heldout17d 192 → 193/200, 177 stayed; faq_heldout17c
157 → 158/160, 141 → 142/144; faq_unseen3 124 → 125/126, 109 → 110/110; faq_unseen2 171 → 172/172,
144 → 145/145; faq_max 137 → 138/145, 135 stayed; faq_unseen 113 stayed, 93 → 92/95 (a near-tie,
«вводю цифры а пишет ошибка», flips with most data changes); the others stayed. Over the tuning sets
top-1 2550 → 2573/2630 (97.0 → 97.8 %), direct right 2276 → 2294/2347 (97.0 → 97.7 %).
faq_heldout17b (never tuned on, aggregate only): 132 → 133/138, 123/128 stayed. The two sets written blind
for this round (faq_heldout17m.tsv and faq_heldout17n.tsv, scored only): 184 → 186/200 and
179 → 181/200 top-1, 168/180 (stayed) and 163 → 164/180 direct right. Most fixed questions
were near-ties, and a data change moves other near-ties both ways; the two new tuning sets are no
longer evidence of how unseen questions fare. Tried and not kept (they lost at least as much as they
gained, or changed nothing): splitting unpunctuated messages at «а», «но», «что делать»; a lower
weight for a follow-up question («…? И можно ли без регистрации?»); dropping «макс» from the
classifier's input beside an intent word; sweeps of the weights of «я», «мой», «макс», «вконтакте»
and of LEARNED_WEIGHT (a local optimum); CHOOSE_RATIO 0.98–0.99 (+2 to +4 direct answers, all right,
but a pair of near-twin school topics would no longer be a choice); phrasings for max.services,
org_status.fix, max.find and role.wrong; off-topic phrases for a Госуслуги password, mail boxes,
printers and lesson materials; a class named «3в» read as «класс»; «администратор чата» as a chat
moderator.

Round eleven (hT3): the causes round ten found and left, fixed by rules and data in new words, none of
the tuning questions added. «Выбрать организацию», the button of Сферум in MAX that opens the list of
schools, and pressing it are the search for one's school: a story naming it is join_school, no longer
`max`. An invitation held back by the pupil's «Безопасный режим» is an `invite` entry (invite.safe_mode,
three phrasings); what the mode is and how to set it stays privacy.safe_mode. A topic may list services
outside the platform that its own things resemble (`outside`; calls: Zoom, YouTube; login_code: Яндекс,
Gmail): a question naming one and not Сферум, MAX or VK is about that service, so the topic is dropped
and the others weigh as without their required words («как создать конференцию в зуме» is handed off,
«чем звонки в сферуме удобнее зума» stays `calls`); Skype is not listed (the rules speak of it), nor
Госуслуги (Сферум in VK is entered through it: listed, it handed off «не приходит смс от госуслуг» and a
registration question). The school's own channel or bot is the administrator's task by the spec, so
org_status.channel became admin.channel, and «бот школы», «школьный бот», «свой бот» name it as a thing
(«чатбот», weight 1.5) while «бот» alone stays a stop word (it addresses this bot). By confusion pair:
«зарегистрирована как ученица» (or as a parent) is a wrong role; admin.staff also covers removing staff
who left (one phrasing: moving the bot entry had tipped «…уволившегося сотрудника…» to class_chats); a
calls.computer phrasing keeps the knife-edge «можно звонить через браузер с компьютера» (web_version
0.636 vs calls 0.635 after the new invite entry) an answer. Tried and not kept: a weight for «школа»
(0.7–1.1), «у меня» as «мой», «у меня засчитан» as the asker's own figures, Госуслуги as outside.
Before → after: faq_heldout17j 211 → 214/220 top-1, 187 → 189/195 direct right; faq_heldout17d
193 → 195/200, 177 → 178/182; faq_heldout17e 195 → 197/200, 177 → 178/180; faq_heldout17f
188 → 189/200, 168 → 169/180; faq_holdout 61 → 62/62, 53 → 54/54; faq_unseen 113 stayed, 92 → 93/95;
faq_dev 250 stayed, 207 → 208/209; the others stayed. Over the tuning sets top-1 2573 → 2582/2630
(97.8 → 98.2 %), direct right 2294 → 2302/2347 (97.7 → 98.1 %); no set lost a question or a direct
answer. The blind sets (faq_heldout17b, faq_heldout17m, faq_heldout17n) were not scored by the tuner (only
their floor tests were run); scored after the merge, aggregate figures only: faq_heldout17m 186 → 187/200
top-1, 168 → 169/180 direct right; faq_heldout17n 181 → 182/200, 164/180 stayed; faq_heldout17b 133/138,
123/128 stayed.

Round twelve (hT4): training the classifier on the labelled questions of the tuning sets too
(faq_eval and faq_holdout left out) was cross-validated set by set (benchmarks/cv_faq_questions.py,
which has the figures): alone, the classifier gained (2153 → 2230/2296 top-1 on held-out sets), but
the engine with it only equalled the engine tuned on those sets (top-1 2248 → 2243–2250, direct right
2004 → 2003–2006; at blend 1, 2231 and 1996), faq_eval lost a question with every setting, and start-up would double. Not wired
in: nothing here changed, and these sets keep measuring the engine, not a model trained on them.

Round thirteen: the labelled questions train the classifier. Round twelve's cross-validation compared
the engine with a classifier trained on the other tuning sets against the engine tuned on the held-out
set itself, so it could not tell whether real questions carry over to unseen wording; a blind set can.
The fifteen tuning sets moved into the package (bot/faq/questions/, read by bot/faq/questions.py) and
train the classifier beside the phrasings (`none` as the off-topic class, `a|b` as two half samples),
less every question equal to one of a measured set (faq_eval, faq_holdout and the blind sets: 110
questions, mostly short everyday ones; test_training_questions_are_not_measured keeps it so). The fit
over 3,839 samples takes 1.5 s, so the model is saved in the package (bot/faq/classifier.npz, rebuilt
by `python -m bot.faq.build_model`) and read at start when it was saved for the same samples; start-up
fell from 1.25 s to 0.95 s. Chosen on faq_heldout17b, 17m and 17n (aggregate figures, five settings;
all gained alike, between +3 and +6 questions on 17m and 17n): LEARNED_WEIGHT 0.3 → 0.5, a question
weighing as a phrasing. Two rules followed from the public tests: a question of one vague word
(«профиль») is scored without the classifier, which knows only how often the word came in each topic's
questions, so it stays a choice; «звонок» weighs 1.15 (an intent word: «можно звонить через браузер с
компьютера» asks about calls, not the web version; it costs faq_eval «сколько нужно звонков в неделю»,
now `calls`, and the sets' total is the same with or without it). faq_eval 272 → 270/272, 244 → 242/244
(«ввела не тот номер телефона при регистрации» is `register` by a hair); faq_holdout 62 → 61/62,
54 → 53/54 («можно ли отключить ученикам возможность писать» is `privacy`). Blind, before → after
(aggregate only): faq_heldout17b 133 → 134/138 top-1, 123 → 124/128 direct right; faq_heldout17m
187 → 193/200 (96.5 %), 169 → 173/180 (96.1 %); faq_heldout17n 182 → 185/200 (92.5 %), 164 → 165/180
(91.7 %). Two sets written for this round by someone who read only the topic spec and the domain facts
(200 questions each, 20 `none`, 10 with two right topics, about 35 long, about 40 % of the topical ones
naming MAX), measured once on main and once after the round: faq_heldout17o 190 → 191/200 (95.5 %),
174 → 176/180 (97.8 %); faq_heldout17p 181 → 187/200 (93.5 %), 164 → 169/180 (93.9 %).

Round thirteen, second part: more labelled questions and a heavier blend. Three people who read only the
topic spec and the domain facts wrote 1,200 labelled questions for training (faq_train13a: near-confusions
between neighbouring topics; faq_train13b: off-topic questions that look topical, long stories, staff
beside teachers; faq_train13c: MAX-era facts turned into questions); 98 of them equal questions of the
measured sets and were dropped. Two more blind sets, faq_heldout17q and faq_heldout17r (written like 17o
and 17p), were measured on main (182/200 and 172/200 top-1), after the first part (190 and 177) and after
the new questions (191 and 180); over 17m–17p the new questions gave 1,123 → 1,130 top-1 of 1,200 beside
17q and 17r. With thousands of real questions the classifier earns more say: LEARNED_WEIGHT 0.5 → 1 (a
topic scores the better of its lexical score and the classifier's probability) and LEARNED_C 10 → 100,
chosen on 17m–17p (757 → 765/800 top-1, 688 → 699/720 direct right; blends 0.7–1 and C 30–1000 within two
questions) and confirmed on 17q and 17r (372 → 377/400, 341 → 347/360). Two tuning-set answers became
choices whose both options are right or tied (faq_unseen3, faq_colloquial). Start-up 1.2 s (the questions
are lemmatised to check the saved model's key). After the round, blind (main before the round → after):
17b 133 → 135/138, 17m 187 → 193, 17n 182 → 190, 17o 190 → 193, 17p 181 → 188, 17q 182 → 192, 17r 172 → 185/200;
all seven 1,247 → 1,276/1,338 top-1 (95.4 %), 1,117 → 1,172/1,208 direct right (97.0 %).
faq_eval 271/272 top-1, 243/244 direct right; faq_holdout 61/62, 53/54.

Round fourteen: 1,200 more labelled questions (faq_train14d: long stories whose question is not where
the story's words point; faq_train14e: short slangy ones; faq_train14f: staff and situations beyond
class teachers), written like round thirteen's by people who read only the spec and the facts; 54 equal
to measured questions were dropped. Two more blind sets, faq_heldout17s and faq_heldout17t, were measured
on main before round thirteen (183/200 and 176/200 top-1, 167/180 and 163/180 direct right) and on round
thirteen's engine (192 and 190). Those figures were found inflated: 27 questions of the round-thirteen
training files equal questions of 17s or 17t. With them dropped, round thirteen's engine scored 191 and
189, and the other blind sets moved by up to three questions either way (17r 185 → 182): small data
changes tip near-ties. Against that fair engine the new questions gave 1,649 → 1,660/1,738 top-1 over the
nine blind sets and 1,510 → 1,515/1,568 direct right; on 17s and 17t 380 → 384/400 and 345 → 348/360; the
blend and C stayed (1 and 100, 0.7 and 300 within one question). The saved model is now found by what its
samples are made of (the questions as written, the phrasings' lemmas and the vocabulary: learned.inputs_key),
so start-up does not lemmatise the 4,400 questions: 1.3 s → 0.75 s. After the round, blind: all nine
1,586 → 1,660/1,738 top-1 (95.5 %), 1,427 → 1,515/1,568 direct right (96.6 %) (main before round thirteen →
now; per set in round fifteen's table below, where nine more questions left the training files).
17s and 17t, written after every choice of rounds thirteen and fourteen but the last (whether to keep the
new questions), are the cleanest figures. faq_eval 271/272, 243/244; faq_holdout 62/62, 54/54.

Round fifteen, tried and not kept. Two more blind sets, faq_heldout17u and faq_heldout17v, scored 178/200
and 174/200 top-1 on main before round thirteen and 191 and 184 on round fourteen's engine, which held nine
of their questions among its training questions; with those dropped, 189 and 187 (the figures below). Then:
1,200 more labelled questions (the parents' side, the school's side, getting in) moved the eleven blind
sets by 0 top-1 and −1 direct right in all, 17u and 17v 376 → 375: the classifier has what such questions
teach, and they were left out. Scaling the classifier's probability by the coverage more mildly scored flat.
A heavier off-topic damping (OFFTOPIC_LEARNED_WEIGHT 0.4 → 0.8) gained 10 of 1,600 questions on 17m–17t and
3 of 538 on 17u, 17v and 17b, but handed off an answer a deputy had taught the bot («кто чинит проектор»
under `contact`) and a vague story ending in «пароль».

Round sixteen: the off-topic damping at 0.8, with the topics a school answered itself (its file or its
deputy) left undamped, as its own topics already were; the deputy's answer is given again, and the story
ending in «пароль» still ranks login_code first but is handed off (test_engine.py). Every blind set kept
or gained top-1; direct right answers stayed, but for one lost on 17v. The engine now, blind (main before
round thirteen → now; misses never printed):

    set                  top-1                      direct right
    faq_heldout17b       133 → 134/138 (97.1 %)     123 → 125/128 (97.7 %)
    faq_heldout17m       187 → 192/200 (96.0 %)     169 → 174/180 (96.7 %)
    faq_heldout17n       182 → 191/200 (95.5 %)     164 → 173/180 (96.1 %)
    faq_heldout17o       190 → 195/200 (97.5 %)     174 → 178/180 (98.9 %)
    faq_heldout17p       181 → 190/200 (95.0 %)     164 → 172/180 (95.6 %)
    faq_heldout17q       182 → 196/200 (98.0 %)     166 → 177/180 (98.3 %)
    faq_heldout17r       172 → 190/200 (95.0 %)     157 → 172/180 (95.6 %)
    faq_heldout17s       183 → 193/200 (96.5 %)     167 → 173/180 (96.1 %)
    faq_heldout17t       176 → 192/200 (96.0 %)     163 → 174/180 (96.7 %)
    faq_heldout17u       178 → 192/200 (96.0 %)     165 → 173/180 (96.1 %)
    faq_heldout17v       174 → 187/200 (93.5 %)     160 → 168/180 (93.3 %)
    all eleven           1,938 → 2,052/2,138 (96.0 %)   1,772 → 1,859/1,928 (96.4 %)

faq_eval 270/272 top-1, 242/244 direct right; faq_holdout 61/62, 53/54.

The targets are top-1 ≥ 95 % and, of the questions that have a topic, ≥ 90 % answered directly
(kind "answer") with a right topic. The floors below are what each set reaches now, rounded
down; a set under the target keeps its honest figure rather than being tuned on.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.commands.faq import accepted, evaluate, read_eval_file
from bot.faq import FaqEngine
from bot.faq.questions import bundled_questions_dir, question_key

TESTS = Path(__file__).resolve().parent.parent
#: The sets that train the classifier since round thirteen live in the package (bot/faq/questions/).
QUESTIONS = bundled_questions_dir()
#: Sets measured, never trained on: the public set, its held-out part and the blind sets.
MEASURED = (
    "faq_eval.tsv", "faq_holdout.tsv", "faq_heldout17b.tsv", "faq_heldout17m.tsv", "faq_heldout17n.tsv",
    "faq_heldout17o.tsv", "faq_heldout17p.tsv", "faq_heldout17q.tsv", "faq_heldout17r.tsv",
    "faq_heldout17s.tsv", "faq_heldout17t.tsv", "faq_heldout17u.tsv", "faq_heldout17v.tsv",
)


def path_of(name: str) -> Path:
    """Where a set lives: tests/ for the measured ones, the package for the training ones."""
    return TESTS / name if (TESTS / name).exists() else QUESTIONS / name
TARGET_TOP1 = 0.95
TARGET_DIRECT = 0.90
#: name: (top-1 floor, floor of direct answers with a right topic among topical questions)
FLOORS: dict[str, tuple[float, float]] = {
    "faq_eval.tsv": (0.99, 0.99),
    "faq_holdout.tsv": (0.98, 0.98),
    "faq_dev.tsv": (0.99, 0.99),
    "faq_unseen.tsv": (0.98, 0.97),
    "faq_unseen2.tsv": (1.0, 1.0),
    # Round thirteen: «нам сказали ставить max, зачем» (max|rules) became a choice of those two.
    "faq_unseen3.tsv": (0.99, 0.99),
    "faq_max.tsv": (0.95, 0.95),
    # Round thirteen: «как завести чатик для класса» became a class_chats/admin tie (a choice).
    "faq_colloquial.tsv": (1.0, 0.97),
    # Measured once after round one (114/128, 103/118), then tuned on in round two.
    "faq_heldout17.tsv": (0.98, 0.98),
    "faq_probe17.tsv": (0.97, 1.0),
    # Written before round two's tuning and measured once after it (128/138 top-1, 116/128 direct right);
    # never tuned on: its misses are not printed. Round ten: 133/138, 123/128.
    "faq_heldout17b.tsv": (0.97, 0.97),
    # Written before round three's tuning (81/88, 78/85), then tuned on.
    "faq_probe21.tsv": (0.96, 0.96),
    # Written blind, measured once after round three (137/160, 121/144), then tuned on in round four.
    "faq_heldout17c.tsv": (0.98, 0.98),
    # Written blind, kept from round four's tuning, measured once after it (169/200, 152/182),
    # then tuned on in round five. Round eleven: 195/200, 178/182.
    "faq_heldout17d.tsv": (0.97, 0.97),
    # Written blind, measured before and after round five (178/200 → 179/200, 160/180 direct right),
    # then tuned on in round six.
    # Round seven (the learned classifier): 187/200, 169/180, scored only.
    # Round eight: 190/200, 171/180. Round nine: 194/200, 176/180. Round ten: 195/200, 177/180.
    # Round eleven: 197/200, 178/180.
    "faq_heldout17e.tsv": (0.98, 0.98),
    # Written blind during round six and measured before and after it (167/200 both times, 144/180
    # direct right); round seven's learned classifier: 180/200, 160/180 (scored only). Tuned on in
    # round eight: 182/200, 163/180. Round nine: 183/200, 162/180. Round ten: 188/200, 168/180.
    # Round eleven: 189/200, 169/180.
    "faq_heldout17f.tsv": (0.94, 0.93),
    # Written blind in round eight before any change, measured on main (190/200, 170/180) and after
    # it (192/200, 172/180); round nine: 193/200, 172/180. Tuned on in round ten: 195/200, 173/180.
    "faq_heldout17k.tsv": (0.97, 0.96),
    # Written in round eight by someone who saw neither the data nor the engine (220 questions, 25 `none`,
    # 15 with two right topics) and kept out of the repository while rounds eight and nine tuned: main
    # before them 200/220 top-1, 176/195 direct right; after round nine 201/220, 179/195. Tuned on in
    # round ten: 211/220, 187/195. Round eleven: 214/220, 189/195.
    "faq_heldout17j.tsv": (0.97, 0.96),
    # Written in round ten by someone who read only the topic spec and the domain facts (200 questions
    # each, 20 `none`, 10 with two right topics, 35 long, about 40 % of the topical ones naming MAX),
    # scored on main before round ten changed anything and again after it: 17m 184 → 186/200 top-1,
    # 168/180 direct right both times; 17n 179 → 181/200, 163 → 164/180. Round eleven: 17m 187/200, 169/180;
    # 17n 182/200, 164/180. Never tuned on: misses not printed. Round thirteen (the classifier trained on
    # the labelled questions, chosen on these): 17m 193/200, 173/180; 17n 185/200, 165/180.
    "faq_heldout17m.tsv": (0.96, 0.96),
    "faq_heldout17n.tsv": (0.95, 0.96),
    # Written blind for round thirteen and measured once after its first part (main before: 17o 190/200,
    # 174/180; 17p 181/200, 164/180): 17o 191/200, 176/180; 17p 187/200, 169/180. Then one of the four
    # sets the blend was chosen on: 17o 193/200, 178/180; 17p 188/200, 173/180. Never tuned on.
    "faq_heldout17o.tsv": (0.97, 0.98),
    "faq_heldout17p.tsv": (0.95, 0.95),
    # Written blind during round thirteen; main 182/200, 166/180 and 172/200, 157/180; after the first
    # part 190 and 177/200; they confirmed the new questions and the blend: 192/200, 176/180 and 185/200,
    # 171/180. Never tuned on.
    # Round fourteen: 194/200, 176/180 and 185/200, 170/180.
    "faq_heldout17q.tsv": (0.98, 0.98),
    "faq_heldout17r.tsv": (0.95, 0.95),
    # Written blind during round thirteen; main 183/200, 167/180 and 176/200, 163/180; round thirteen
    # (with 27 of their questions dropped from its training files) 191 and 189/200; round fourteen
    # 192/200, 173/180 and 192/200, 175/180. Never tuned on.
    "faq_heldout17s.tsv": (0.96, 0.96),
    "faq_heldout17t.tsv": (0.95, 0.96),
    # Written blind during round fourteen; main 178/200, 165/180 and 174/200, 160/180; round fourteen with
    # nine of their questions dropped from its training files: 189/200, 173/180 and 187/200, 169/180.
    "faq_heldout17u.tsv": (0.96, 0.96),
    "faq_heldout17v.tsv": (0.93, 0.93),
}
#: Sets whose misses may be printed (they are tuned on).
TUNED = (
    "faq_eval.tsv", "faq_dev.tsv", "faq_unseen2.tsv", "faq_max.tsv", "faq_colloquial.tsv", "faq_holdout.tsv",
    "faq_unseen.tsv", "faq_unseen3.tsv", "faq_heldout17.tsv", "faq_probe17.tsv", "faq_probe21.tsv",
    "faq_heldout17c.tsv", "faq_heldout17d.tsv", "faq_heldout17e.tsv", "faq_heldout17f.tsv",
    # Round ten (hT2): measured on main before any change (17k 193/200, 172/180; 17j 201/220, 179/195).
    "faq_heldout17k.tsv", "faq_heldout17j.tsv",
)


def direct_right(engine: FaqEngine, rows: list[tuple[str, str]]) -> float:
    """Share of the questions with a topic that get kind "answer" with a right topic."""
    topical = [(exp, q) for exp, q in rows if accepted(exp) != {None}]
    good = 0
    for expected, question in topical:
        answer = engine.ask(question)
        good += answer.kind == "answer" and answer.topic in accepted(expected)
    return good / len(topical)


@pytest.mark.parametrize("name", list(FLOORS))
def test_top1_accuracy(engine: FaqEngine, name: str) -> None:
    """Each set reaches its top-1 floor (topic or an accepted alternative, or none)."""
    rows = read_eval_file(path_of(name), engine.topics)
    report = evaluate(engine, rows)
    shown = report["misses"] if name in TUNED else []
    misses = "\n".join(f"{m['expected']} -> {m['got']}: {m['question']}" for m in shown)
    assert report["accuracy"] >= FLOORS[name][0], f"{name}: {report['accuracy']:.3f}\n{misses}"


@pytest.mark.parametrize("name", list(FLOORS))
def test_direct_answers(engine: FaqEngine, name: str) -> None:
    """Of the questions that have a topic, enough are answered directly with a right topic."""
    rows = read_eval_file(path_of(name), engine.topics)
    share = direct_right(engine, rows)
    assert share >= FLOORS[name][1], f"{name}: {share:.3f}"


def test_eval_sets_are_big_enough(engine: FaqEngine) -> None:
    """The sets are big enough per topic and the knowledge base does not memorise them."""
    eval_rows = read_eval_file(TESTS / "faq_eval.tsv", engine.topics)
    holdout_rows = read_eval_file(TESTS / "faq_holdout.tsv", engine.topics)
    assert len(eval_rows) >= 150 and len(holdout_rows) >= 50
    for topic in engine.topics:
        assert sum(1 for t, _ in eval_rows if topic in accepted(t)) >= 8, topic
        assert sum(1 for t, _ in holdout_rows if topic in accepted(t)) >= 2, topic
    assert sum(1 for t, _ in eval_rows if t == "none") >= 15
    heldout = read_eval_file(path_of("faq_heldout17.tsv"), engine.topics)
    assert len(heldout) >= 110  # 15 questions equal to questions of measured sets were dropped (rounds 13, 14)
    assert sum(1 for _, q in heldout if "макс" in q or "max" in q) >= 40
    # The knowledge base must not memorise the evaluation questions.
    fresh_rows = [
        row
        for name in ("faq_dev.tsv", "faq_unseen.tsv")
        for row in read_eval_file(path_of(name), engine.topics)
    ]
    # 38 of their questions equal questions of the measured sets and were dropped in round thirteen,
    # when these sets began to train the classifier (see test_training_questions_are_not_measured).
    assert len(fresh_rows) >= 320
    examples = {e for t in engine.topics.values() for e in t.examples}
    phrasings = {x for e in engine.entry_by_id.values() for x in e.examples}
    assert not (examples | phrasings) & {q for _, q in eval_rows + holdout_rows}
    # faq_dev.tsv shares a few short everyday phrasings («мой статус») with examples that
    # predate it; the other sets share none, with topic examples or entry phrasings.
    for name in (
        "faq_unseen.tsv", "faq_unseen2.tsv", "faq_unseen3.tsv", "faq_max.tsv", "faq_colloquial.tsv",
        "faq_heldout17.tsv", "faq_heldout17b.tsv", "faq_probe17.tsv", "faq_probe21.tsv", "faq_heldout17c.tsv",
    ):
        unseen = {q for _, q in read_eval_file(path_of(name), engine.topics)}
        assert not (examples | phrasings) & unseen, name
    # The blind faq_heldout17d.tsv was written independently and happens to share three short
    # phrasings («роль не та как исправить») with examples; none may be added.
    blind = {q for _, q in read_eval_file(path_of("faq_heldout17d.tsv"), engine.topics)}
    assert len((examples | phrasings) & blind) <= 3
    # Rounds six, eight and ten tuned on faq_heldout17e.tsv, faq_heldout17f.tsv, faq_heldout17k.tsv and
    # faq_heldout17j.tsv without adding any of their questions. Written blind, faq_heldout17f.tsv and
    # faq_heldout17k.tsv happen to share two short phrasings each («мой статус», «покажи мою
    # статистику») with kb.toml examples that predate them; none may be added.
    # faq_heldout17m.tsv and faq_heldout17n.tsv, also blind, share one and three such phrasings;
    # faq_heldout17o.tsv and faq_heldout17p.tsv one and two; faq_heldout17q.tsv and faq_heldout17r.tsv three and four;
    # faq_heldout17s.tsv two; faq_heldout17u.tsv and faq_heldout17v.tsv one each.
    for name, shared in (("faq_heldout17e.tsv", 0), ("faq_heldout17f.tsv", 2), ("faq_heldout17k.tsv", 2),
                         ("faq_heldout17j.tsv", 0), ("faq_heldout17m.tsv", 1), ("faq_heldout17n.tsv", 3),
                         ("faq_heldout17o.tsv", 1), ("faq_heldout17p.tsv", 2), ("faq_heldout17q.tsv", 3),
                         ("faq_heldout17r.tsv", 4), ("faq_heldout17s.tsv", 2), ("faq_heldout17t.tsv", 0),
                         ("faq_heldout17u.tsv", 1), ("faq_heldout17v.tsv", 1)):
        blind = {q for _, q in read_eval_file(path_of(name), engine.topics)}
        assert len((examples | phrasings) & blind) <= shared, name


def test_training_questions_are_not_measured(engine: FaqEngine) -> None:
    """No bundled question that trains the classifier equals a question of a set that measures the
    engine (it would answer that one from memory), and the measured sets stay out of the package."""
    trained = {question_key(q) for path in QUESTIONS.glob("*.tsv") for _, q in read_eval_file(path, engine.topics)}
    assert len(trained) >= 2000
    for name in MEASURED:
        assert not (QUESTIONS / name).exists(), name
        measured = {question_key(q) for _, q in read_eval_file(TESTS / name, engine.topics)}
        assert not trained & measured, name
